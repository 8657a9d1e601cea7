"""`python3 app.py` (or `cdk synth`/`cdk deploy` with cdk.json) builds both stacks:
InfrasyncWeb in us-east-1 (CloudFront's certificate must be there) and InfrasyncService
in the region deployed to (AWS_REGION). Inputs: CDK context
(`-c image_tag=<sha> -c domain=example.com`, defaults in cdk.json)."""

from __future__ import annotations

import os

import aws_cdk as cdk
from infrasync_aws.config import DeployConfig, from_context
from infrasync_aws.service import ServiceStack
from infrasync_aws.web import WebStack


def build(app: cdk.App, config: DeployConfig) -> tuple[WebStack, ServiceStack]:
    web = WebStack(
        app,
        "InfrasyncWeb",
        config,
        env=cdk.Environment(account=config.account, region="us-east-1"),
        description="Infrasync web app: S3 behind CloudFront, app. DNS",
    )
    # No env: deployed to the region the CLI is given (AWS_REGION in deploy.yml), its
    # AZs resolved by CloudFormation.
    service = ServiceStack(
        app,
        "InfrasyncService",
        config,
        description="Infrasync API, workers, database, alarms",
    )
    cdk.Tags.of(app).add("app", "infrasync")
    return web, service


def main() -> None:
    app = cdk.App()
    build(app, from_context(app, account=os.environ.get("CDK_DEFAULT_ACCOUNT")))
    app.synth()


if __name__ == "__main__":
    main()
