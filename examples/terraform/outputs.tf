output "role_arn" {
  description = "The action's role-to-assume input."
  value       = aws_iam_role.ecr_pull.arn
}

output "oidc_provider_arn" {
  description = "The GitHub OIDC provider the role trusts; pass it as oidc_provider_arn to other uses of this module."
  value       = local.oidc_provider_arn
}
