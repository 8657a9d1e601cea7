"""Running Infrasync on AWS: the Lambda entry point for the serverless `tick`."""
