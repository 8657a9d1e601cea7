"""What the CDK app promises users, read off the synthesised CloudFormation: the ALB
checks /ready, no bucket is public, deep links get index.html but the API never does,
secrets only as ECS secrets, deploys roll back, no task is reachable from the internet,
the tick runs on schedule and logs expire."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.conftest import Synthesised

SECRET_LOOKING = re.compile(r"SECRET|PASSWORD|TOKEN|KEY|DATABASE_URL|CREDENTIAL", re.I)


def _resources(template: Any, kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = template.find_resources(kind)
    return found


def _containers(synthesised: Synthesised) -> list[dict[str, Any]]:
    return [
        container
        for task in _resources(synthesised.service, "AWS::ECS::TaskDefinition").values()
        for container in task["Properties"]["ContainerDefinitions"]
    ]


def _image_functions(synthesised: Synthesised) -> dict[str, dict[str, Any]]:
    """The app's own functions (the image's tick and queue metrics), not CDK's helpers."""
    functions = _resources(synthesised.service, "AWS::Lambda::Function")
    return {
        name: f for name, f in functions.items() if f["Properties"].get("PackageType") == "Image"
    }


# --- API behind the ALB ----------------------------------------------------------------


def test_the_alb_checks_ready_and_the_container_checks_health(deployment: Synthesised) -> None:
    deployment.service.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {"HealthCheckPath": "/ready", "Matcher": {"HttpCode": "200"}},
    )
    (api,) = [c for c in _containers(deployment) if "serve" in c["Command"]]
    assert "--no-worker" in api["Command"]
    assert "http://127.0.0.1:8000/health" in " ".join(api["HealthCheck"]["Command"])
    deployment.service.has_resource_properties(
        "AWS::ECS::Service", {"HealthCheckGracePeriodSeconds": 60}
    )


def test_https_with_a_certificate_and_http_redirected(deployment: Synthesised) -> None:
    deployment.service.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 443, "Protocol": "HTTPS", "Certificates": [{"CertificateArn": Match.any_value()}]},
    )
    deployment.service.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "DefaultActions": [
                Match.object_like(
                    {
                        "Type": "redirect",
                        "RedirectConfig": Match.object_like({"Protocol": "HTTPS", "Port": "443"}),
                    }
                )
            ],
        },
    )
    deployment.service.has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {"DomainName": "api.example.com", "ValidationMethod": "DNS"},
    )
    deployment.service.has_resource_properties(
        "AWS::Route53::RecordSet", {"Name": "api.example.com.", "Type": "A"}
    )


def test_a_bad_deploy_rolls_back_and_never_drops_below_full_strength(
    deployment: Synthesised,
) -> None:
    services = _resources(deployment.service, "AWS::ECS::Service")
    assert services
    for service in services.values():
        configuration = service["Properties"]["DeploymentConfiguration"]
        assert configuration["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
        assert configuration["MinimumHealthyPercent"] == 100


def test_the_api_scales_on_cpu_and_request_count(deployment: Synthesised) -> None:
    policies = _resources(deployment.service, "AWS::ApplicationAutoScaling::ScalingPolicy")
    metrics = {
        policy["Properties"]["TargetTrackingScalingPolicyConfiguration"][
            "PredefinedMetricSpecification"
        ]["PredefinedMetricType"]
        for policy in policies.values()
        if "TargetTrackingScalingPolicyConfiguration" in policy["Properties"]
    }
    assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}


# --- Network -----------------------------------------------------------------------------


def _ingress_rules(synthesised: Synthesised) -> list[tuple[str, dict[str, Any]]]:
    rules = [
        (group_id, rule)
        for group_id, group in _resources(synthesised.service, "AWS::EC2::SecurityGroup").items()
        for rule in group["Properties"].get("SecurityGroupIngress", [])
    ]
    for ingress in _resources(synthesised.service, "AWS::EC2::SecurityGroupIngress").values():
        target = ingress["Properties"]["GroupId"]["Fn::GetAtt"][0]
        rules.append((target, ingress["Properties"]))
    return rules


def test_no_task_is_reachable_from_the_internet(deployment: Synthesised) -> None:
    """Only the load balancer's group admits 0.0.0.0/0 (on 80 and 443); the tasks' group
    admits the load balancer's group alone, on the container port."""
    balancers = _resources(deployment.service, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    (balancer,) = balancers.values()
    (lb_group,) = [ref["Fn::GetAtt"][0] for ref in balancer["Properties"]["SecurityGroups"]]
    open_to_all = {
        (group, rule.get("FromPort"))
        for group, rule in _ingress_rules(deployment)
        if rule.get("CidrIp") == "0.0.0.0/0" or rule.get("CidrIpv6") == "::/0"
    }
    assert open_to_all == {(lb_group, 80), (lb_group, 443)}
    for service in _resources(deployment.service, "AWS::ECS::Service").values():
        network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED"
        for group in network["SecurityGroups"]:
            task_group = group["Fn::GetAtt"][0]
            sources = [rule for g, rule in _ingress_rules(deployment) if g == task_group]
            for rule in sources:
                source = rule.get("SourceSecurityGroupId", {}).get("Fn::GetAtt", [None])[0]
                assert source in (lb_group, task_group), rule
                assert "CidrIp" not in rule


def test_a_vpc_over_two_azs_with_nat_egress(deployment: Synthesised) -> None:
    deployment.service.resource_count_is("AWS::EC2::NatGateway", 1)
    subnets = _resources(deployment.service, "AWS::EC2::Subnet").values()
    zones = {json.dumps(s["Properties"]["AvailabilityZone"]) for s in subnets}
    assert len(zones) == 2


# --- Secrets and settings ----------------------------------------------------------------


def test_secrets_only_as_ecs_secrets_and_production_is_set(deployment: Synthesised) -> None:
    for container in _containers(deployment):
        environment = {e["Name"]: e["Value"] for e in container.get("Environment", [])}
        assert environment["INFRASYNC_ENVIRONMENT"] == "production"
        plain = [name for name in environment if SECRET_LOOKING.search(name)]
        assert plain == [], f"secret-looking plain environment values: {plain}"
        secrets = {s["Name"]: json.dumps(s["ValueFrom"]) for s in container["Secrets"]}
        for name in ("INFRASYNC_DATABASE_URL", "INFRASYNC_SECRET_KEY", "INFRASYNC_ENCRYPTION_KEYS"):
            assert name in secrets
            assert ":parameter/infrasync/prod/" in secrets[name]
    for function in _image_functions(deployment).values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["INFRASYNC_ENVIRONMENT"] == "production"
        assert variables["INFRASYNC_SSM_PREFIX"] == "/infrasync/prod"
        assert [n for n in variables if SECRET_LOOKING.search(n)] == []


def test_no_secret_value_appears_anywhere_in_plain_text(deployment: Synthesised) -> None:
    text = json.dumps(deployment.service.to_json())
    assert "postgresql://" not in text
    assert not re.search(r"isk_|sk_live_|xox[bp]-|hooks\.slack\.com", text)


# --- Workers -----------------------------------------------------------------------------


def test_workers_scale_on_queue_lag(ecs_workers: Synthesised) -> None:
    (worker,) = [c for c in _containers(ecs_workers) if c["Command"] == ["worker"]]
    assert "HealthCheck" not in worker  # no HTTP server in a worker
    ecs_workers.service.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "QueueLagSeconds",
            "Namespace": "Infrasync",
            "ComparisonOperator": Match.any_value(),
        },
    )
    steps = [
        policy
        for policy in _resources(
            ecs_workers.service, "AWS::ApplicationAutoScaling::ScalingPolicy"
        ).values()
        if policy["Properties"].get("PolicyType") == "StepScaling"
    ]
    assert len(steps) == 2  # out on lag, in when it is gone
    ecs_workers.service.resource_count_is("AWS::RDS::DBInstance", 1)


def test_the_schedule_runs_the_tick_lambda_within_its_timeout(lambda_tick: Synthesised) -> None:
    functions = _resources(lambda_tick.service, "AWS::Lambda::Function")
    (tick_id,) = [
        name
        for name, f in functions.items()
        if f["Properties"].get("ImageConfig", {}).get("Command")
        == ["infrasync.aws.lambda_handler.handler"]
    ]
    tick = functions[tick_id]["Properties"]
    assert tick["Timeout"] > lambda_tick.config.tick_max_seconds
    assert tick["VpcConfig"]["SubnetIds"]  # the app subnets, out through the NAT
    rules = _resources(lambda_tick.service, "AWS::Events::Rule").values()
    targets = {
        rule["Properties"]["ScheduleExpression"]: rule["Properties"]["Targets"][0]["Arn"]
        for rule in rules
    }
    assert targets["rate(5 minutes)"] == {"Fn::GetAtt": [tick_id, "Arn"]}
    lambda_tick.service.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "FunctionName": {"Fn::GetAtt": [tick_id, "Arn"]},
        },
    )
    assert not [c for c in _containers(lambda_tick) if c["Command"] == ["worker"]]
    lambda_tick.service.resource_count_is("AWS::RDS::DBInstance", 0)


# --- Logs and alarms ---------------------------------------------------------------------


def test_every_log_group_has_a_retention(deployment: Synthesised) -> None:
    groups = _resources(deployment.service, "AWS::Logs::LogGroup")
    assert groups
    assert all(g["Properties"].get("RetentionInDays") for g in groups.values())
    for container in _containers(deployment):
        options = container["LogConfiguration"]["Options"]
        assert options["awslogs-group"]["Ref"] in groups
    for function in _resources(deployment.service, "AWS::Lambda::Function").values():
        logging = function["Properties"].get("LoggingConfig")
        if logging is not None:  # CDK's own log-retention helper writes none
            assert logging["LogGroup"]["Ref"] in groups


def test_alarms_on_5xx_unhealthy_hosts_queue_lag_and_heartbeat(deployment: Synthesised) -> None:
    alarms = _resources(deployment.service, "AWS::CloudWatch::Alarm").values()
    described = {a["Properties"]["AlarmDescription"] for a in alarms}
    assert {
        "More than 5% of API answers are 5xx",
        "An API task fails /ready",
        "Work has waited over 5 minutes",
        "No worker has beaten for 10 minutes",
    } <= described
    for alarm in alarms:
        if alarm["Properties"].get("AlarmDescription") in described:
            assert alarm["Properties"].get("AlarmActions")


# --- The web app ---------------------------------------------------------------------------


def test_no_bucket_is_public(deployment: Synthesised) -> None:
    for template in (deployment.web, deployment.service):
        for bucket in _resources(template, "AWS::S3::Bucket").values():
            block = bucket["Properties"]["PublicAccessBlockConfiguration"]
            assert block == {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
        for policy in _resources(template, "AWS::S3::BucketPolicy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if statement["Effect"] == "Allow":
                    assert statement["Principal"] != "*"
                    assert statement["Principal"] != {"AWS": "*"}
    deployment.web.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {
            "OriginAccessControlConfig": Match.object_like(
                {"OriginAccessControlOriginType": "s3", "SigningBehavior": "always"}
            )
        },
    )


def _distribution(synthesised: Synthesised) -> dict[str, Any]:
    (distribution,) = _resources(synthesised.web, "AWS::CloudFront::Distribution").values()
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def _fallback_code(synthesised: Synthesised) -> str:
    (function,) = _resources(synthesised.web, "AWS::CloudFront::Function").values()
    code: str = function["Properties"]["FunctionCode"]
    return code


@pytest.mark.skipif(shutil.which("node") is None, reason="runs the CloudFront Function in Node")
def test_deep_links_and_the_oauth_callback_get_index_html(
    deployment: Synthesised, tmp_path: Path
) -> None:
    """The function itself, run in Node on the requests a person makes."""
    script = tmp_path / "fallback.js"
    script.write_text(
        _fallback_code(deployment) + "\nfor (const uri of JSON.parse(process.argv[2])) {"
        "  console.log(handler({request: {uri}}).uri); }\n"
    )
    uris = [
        "/auth/callback",
        "/orgs/acme/monitors/3",
        "/",
        "/assets/index-abc123.js",
        "/favicon.svg",
    ]
    shown = subprocess.run(
        ["node", str(script), json.dumps(uris)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown == [
        "/index.html",
        "/index.html",
        "/index.html",
        "/assets/index-abc123.js",
        "/favicon.svg",
    ]


def test_the_fallback_is_never_applied_to_the_api(deployment: Synthesised) -> None:
    config = _distribution(deployment)
    assert "CustomErrorResponses" not in config  # they would rewrite the API's 404s too
    default = config["DefaultCacheBehavior"]
    assert [a["EventType"] for a in default["FunctionAssociations"]] == ["viewer-request"]
    for behaviour in config.get("CacheBehaviors", []):
        assert "FunctionAssociations" not in behaviour, behaviour["PathPattern"]


def test_the_api_shares_the_domain_only_when_asked(
    ecs_workers: Synthesised, lambda_tick: Synthesised
) -> None:
    separate = {b["PathPattern"] for b in _distribution(ecs_workers).get("CacheBehaviors", [])}
    assert separate == {"/assets/*"}
    shared = {b["PathPattern"]: b for b in _distribution(lambda_tick)["CacheBehaviors"]}
    assert {"/api/*", "/auth/github*", "/auth/link*", "/auth/logout*"} <= set(shared)
    assert not any(p.startswith("/auth/callback") or p == "/auth/*" for p in shared)
    assert "POST" in shared["/api/*"]["AllowedMethods"]
    # The web app's index.html names the API the same origin: PUBLIC_URL is app.
    (api,) = [c for c in _containers(lambda_tick) if "serve" in c["Command"]]
    environment = {e["Name"]: e["Value"] for e in api["Environment"]}
    assert environment["INFRASYNC_PUBLIC_URL"] == "https://app.example.com"


def test_hashed_assets_cache_long_and_index_html_is_revalidated(deployment: Synthesised) -> None:
    config = _distribution(deployment)
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    (assets,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/assets/*"]
    optimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS's managed CachingOptimized
    assert assets["CachePolicyId"] == optimized
    (policy,) = _resources(deployment.web, "AWS::CloudFront::CachePolicy").values()
    ttl = policy["Properties"]["CachePolicyConfig"]
    assert ttl["DefaultTTL"] == 0  # the upload's Cache-Control rules (no-cache on index)
    assert ttl["MinTTL"] == 0


def test_the_web_certificate_is_in_us_east_1_and_validated_by_dns(deployment: Synthesised) -> None:
    deployment.web.has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {"DomainName": "app.example.com", "ValidationMethod": "DNS"},
    )
    records = _resources(deployment.web, "AWS::Route53::RecordSet").values()
    assert {(r["Properties"]["Name"], r["Properties"]["Type"]) for r in records} == {
        ("app.example.com.", "A"),
        ("app.example.com.", "AAAA"),
    }


# --- cfn-lint ------------------------------------------------------------------------------

# W3005 (a DependsOn that a Ref already implies) is ignored: CDK writes both on purpose
# for some resources (the ALB listener before the service, roles before functions); it
# is redundant, never wrong.
IGNORED_CHECKS = ("W3005",)


def test_cfn_lint_is_clean_on_every_synthesised_template(deployment: Synthesised) -> None:
    templates = sorted(str(p) for p in deployment.directory.glob("*.template.json"))
    assert len(templates) == 2
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--ignore-checks", *IGNORED_CHECKS, "--", *templates],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
