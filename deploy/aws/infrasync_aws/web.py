"""The web app: a private S3 bucket behind CloudFront (Origin Access Control), its ACM
certificate in us-east-1 (where CloudFront reads certificates), app.<domain> in Route 53.

Deep links and /auth/callback are routes of the single-page app, not files: a CloudFront
Function on the default behaviour alone rewrites any path without a file extension to
/index.html, so they get the page with a 200. Error responses are not used: they would
turn the API's own 403s and 404s into index.html too."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infrasync_aws.config import DeployConfig

SPA_FALLBACK = """\
function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  // No file extension: a route of the single-page app (a deep link, /auth/callback).
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""

# The API's browser-facing paths, when app.<domain> serves the API too. Not `/auth/*`:
# /auth/callback is a page of the web app (web/vite.config.ts proxies the same list).
API_PATHS = ("/api/*", "/auth/github*", "/auth/link*", "/auth/logout*", "/health", "/ready")


class WebStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, config: DeployConfig, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.domain
        )
        certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=config.app_domain,
            validation=acm.CertificateValidation.from_dns(zone),
        )
        self.bucket = s3.Bucket(
            self,
            "WebApp",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        site = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        fallback = cloudfront.Function(
            self,
            "SpaFallback",
            code=cloudfront.FunctionCode.from_inline(SPA_FALLBACK),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Deep links and /auth/callback get index.html (not for the API)",
        )
        # index.html and other unhashed files: CloudFront keeps what the upload's
        # Cache-Control says (deploy.yml sends no-cache for index.html), default none.
        honour_origin = cloudfront.CachePolicy(
            self,
            "HonourOriginCacheControl",
            default_ttl=cdk.Duration.seconds(0),
            min_ttl=cdk.Duration.seconds(0),
            max_ttl=cdk.Duration.days(365),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        additional: dict[str, cloudfront.BehaviorOptions] = {
            # Vite's hashed files never change under one name: cached for a year.
            "/assets/*": cloudfront.BehaviorOptions(
                origin=site,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                compress=True,
            ),
        }
        if config.shared_domain:
            api = origins.HttpOrigin(
                config.api_domain, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY
            )
            for path in API_PATHS:
                additional[path] = cloudfront.BehaviorOptions(
                    origin=api,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            domain_names=[config.app_domain],
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=site,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=honour_origin,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=fallback, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors=additional,
        )
        alias = route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
        route53.ARecord(self, "AppRecord", zone=zone, record_name=config.app_domain, target=alias)
        route53.AaaaRecord(
            self, "AppRecordIPv6", zone=zone, record_name=config.app_domain, target=alias
        )
        cdk.CfnOutput(self, "WebBucketName", value=self.bucket.bucket_name)
        cdk.CfnOutput(self, "DistributionId", value=self.distribution.distribution_id)
        cdk.CfnOutput(self, "AppUrl", value=f"https://{config.app_domain}")
