locals {
  # GitHub's OIDC issuer: the provider's URL, and the prefix of the condition keys.
  oidc_host         = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.oidc_provider_arn != null ? var.oidc_provider_arn : aws_iam_openid_connect_provider.github[0].arn

  # The token's sub claim, per scope (GitHub docs, "OpenID Connect reference": example subject claims).
  subjects = {
    organization = "repo:${var.github_org}/*"
    repository   = "repo:${var.github_org}/${var.repository}:*"
    branch       = "repo:${var.github_org}/${var.repository}:ref:refs/heads/${var.branch}"
    environment  = "repo:${var.github_org}/${var.repository}:environment:${var.environment}"
  }
  # A pattern with a wildcard needs StringLike; an exact subject takes StringEquals, where no character is a wildcard.
  subject_operator = contains(["organization", "repository"], var.subject_scope) ? "StringLike" : "StringEquals"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.oidc_provider_arn == null ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = [var.audience]
  # IAM checks GitHub's certificate against its own trusted CAs and ignores these (since July 2023);
  # they are GitHub's published intermediate thumbprints, for provider versions that still require one.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "GitHubActionsOidc"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = [var.audience]
    }

    condition {
      test     = local.subject_operator
      variable = "${local.oidc_host}:sub"
      values   = [local.subjects[var.subject_scope]]
    }
  }
}

# The repositories' ARNs as ECR gives them (and a plan that fails on a name that does not exist).
data "aws_ecr_repository" "pulled" {
  for_each = toset(var.ecr_repository_names)

  name        = each.value
  registry_id = var.ecr_registry_id
}

# An ECR password carries the permissions of the identity that asked for it: the action needs only
# GetAuthorizationToken (which takes no resource), and the container jobs that pull with the password
# need the three pull actions, on these repositories and no others.
data "aws_iam_policy_document" "ecr_pull" {
  statement {
    sid       = "GetEcrPassword"
    effect    = "Allow"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullListedRepositories"
    effect    = "Allow"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [for repository in data.aws_ecr_repository.pulled : repository.arn]
  }
}

# ECR Public's GetAuthorizationToken (us-east-1 only) mints its password through an STS bearer token.
data "aws_iam_policy_document" "ecr_public" {
  statement {
    sid       = "GetEcrPublicPassword"
    effect    = "Allow"
    actions   = ["ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "ecr_pull" {
  name        = var.role_name
  description = "Assumed by GitHub Actions (ecr-secret-refresh) to get an ECR password that pulls the listed repositories."
  # The action needs the role for seconds; 900 s is its default session length.
  max_session_duration = 3600
  assume_role_policy   = data.aws_iam_policy_document.trust.json

  lifecycle {
    precondition {
      condition     = var.subject_scope == "organization" || var.repository != ""
      error_message = "repository is required unless subject_scope is organization."
    }
  }
}

resource "aws_iam_role_policy" "ecr_pull" {
  name   = "ecr-pull"
  role   = aws_iam_role.ecr_pull.id
  policy = data.aws_iam_policy_document.ecr_pull.json
}

resource "aws_iam_role_policy" "ecr_public" {
  count = var.allow_ecr_public ? 1 : 0

  name   = "ecr-public-login"
  role   = aws_iam_role.ecr_pull.id
  policy = data.aws_iam_policy_document.ecr_public.json
}
