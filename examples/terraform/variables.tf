variable "github_org" {
  description = "Owner of the repositories (organisation or user), as in the token's sub claim repo:<owner>/<repository>. Case-sensitive."
  type        = string
}

variable "repository" {
  description = "Repository name without its owner, such as app. Required unless subject_scope is organization."
  type        = string
  default     = ""
}

variable "subject_scope" {
  description = "Which workflow jobs may assume the role: organization (any job of any repository of github_org), repository (any job of repository), branch (jobs of repository on branch that name no environment) or environment (jobs of repository that run in environment, so that its protection rules guard the role)."
  type        = string
  default     = "branch"

  validation {
    condition     = contains(["organization", "repository", "branch", "environment"], var.subject_scope)
    error_message = "subject_scope must be organization, repository, branch or environment."
  }
}

variable "branch" {
  description = "With subject_scope branch, the branch whose runs may assume the role."
  type        = string
  default     = "main"
}

variable "environment" {
  description = "With subject_scope environment, the GitHub environment whose jobs may assume the role."
  type        = string
  default     = "ecr"
}

variable "ecr_repository_names" {
  description = "Names of the ECR repositories the password may pull, such as build-env; they must exist (a typo fails the plan)."
  type        = list(string)
}

variable "ecr_registry_id" {
  description = "Account that holds the ECR repositories; null for the provider's own account."
  type        = string
  default     = null
}

variable "oidc_provider_arn" {
  description = "ARN of the account's existing IAM OIDC provider for token.actions.githubusercontent.com; null to create it (an account holds one provider per URL)."
  type        = string
  default     = null
}

variable "audience" {
  description = "Audience of the GitHub OIDC token: the action's audience input, sts.amazonaws.com unless you changed it."
  type        = string
  default     = "sts.amazonaws.com"
}

variable "allow_ecr_public" {
  description = "Also allow a login to ECR Public (public.ecr.aws) with this role, for higher pull rate limits."
  type        = bool
  default     = false
}

variable "role_name" {
  description = "Name of the IAM role: the action's role-to-assume is its ARN (output role_arn)."
  type        = string
  default     = "ecr-secret-refresh"
}
