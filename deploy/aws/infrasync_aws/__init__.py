"""Infrasync on AWS, in CDK (Python): the regional service stack and the web app's
global stack (CloudFront wants its certificate in us-east-1). docs/deployment.md."""
