"""The regional stack: a VPC over 2 AZs, Postgres (RDS, or an external DATABASE_URL), the
API on ECS Fargate behind an HTTPS ALB at api.<domain>, workers (an ECS service scaled on
queue lag, or a scheduled `tick` in Lambda), logs with retention and alarms.

Every secret is an SSM SecureString under `ssm_prefix`, created by the operator
(CloudFormation cannot create SecureStrings) and given to containers as ECS `secrets`,
never as environment values; the Lambdas read them at cold start (INFRASYNC_SSM_PREFIX).

Queue lag reaches CloudWatch as a metric the queue-metrics Lambda publishes each minute
in the embedded metric format (a JSON log line, no API call): it reads the queue from the
database, as /metrics does, so it is true whoever works the queue (workers, ticks, both),
and CloudWatch alarms and ECS scaling read it natively. The Prometheus gauge through an
adapter would need Amazon Managed Prometheus and an adapter service to say the same."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infrasync_aws.config import DeployConfig

CONTAINER_PORT = 8000
METRICS_NAMESPACE = "Infrasync"
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
# The image's Python: Lambda runs the handler through the runtime interface client.
LAMBDA_ENTRYPOINT = ["/opt/infrasync/bin/python", "-m", "awslambdaric"]
TICK_HANDLER = "infrasync.aws.lambda_handler.handler"
QUEUE_METRICS_HANDLER = "infrasync.aws.lambda_handler.publish_queue_metrics"
# Stopping a tick or a worker: the worker's grace (20 s) and handing back.
STOP_SECONDS = 30


class ServiceStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, config: DeployConfig, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.config = config
        # Environment-agnostic: the AZs are Fn::GetAZs at deploy time, so synthesis looks
        # nothing up (and needs no AWS credentials).
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                ec2.SubnetConfiguration(
                    name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22
                ),
                ec2.SubnetConfiguration(
                    name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                ),
            ],
        )
        self.vpc.add_flow_log("FlowLog")
        self.zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.domain
        )
        self.repository = ecr.Repository.from_repository_name(
            self, "Images", config.image_repository
        )
        self.image = ecs.ContainerImage.from_ecr_repository(self.repository, config.image_tag)
        self.app_secrets = {
            f"INFRASYNC_{name}": ecs.Secret.from_ssm_parameter(
                ssm.StringParameter.from_secure_string_parameter_attributes(
                    self,
                    f"Secret{name.title().replace('_', '')}",
                    parameter_name=f"{config.ssm_prefix}/{name}",
                )
            )
            for name in config.secrets
        }
        public_url = f"https://{config.app_domain if config.shared_domain else config.api_domain}"
        self.app_environment = {
            "INFRASYNC_ENVIRONMENT": "production",
            "INFRASYNC_PUBLIC_URL": public_url,
            "INFRASYNC_FRONTEND_URL": f"https://{config.app_domain}",
            "INFRASYNC_LOG_FORMAT": "json",
            # The ALB is in the VPC: only its X-Forwarded-For is believed.
            "INFRASYNC_TRUSTED_PROXIES": self.vpc.vpc_cidr_block,
        }
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=self.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        self.alarm_topic = sns.Topic(self, "Alarms", display_name="Infrasync alarms")
        if config.alarm_email:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.db_clients = ec2.SecurityGroup(
            self, "DatabaseClients", vpc=self.vpc, description="Infrasync tasks and functions"
        )
        if config.database == "rds":
            self._database()
        self._api()
        self.queue_metrics = self._queue_metrics_function()
        if config.workers == "service":
            self._worker_service()
        else:
            self._tick_function()
        self._queue_alarms()
        self._outputs()

    def _outputs(self) -> None:
        """What deploy.yml reads: where to run the one-off migration task, and which
        image is live (the rollback target)."""
        app_subnets = self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        for name, value in {
            "ClusterName": self.cluster.cluster_name,
            "ApiServiceName": self.api.service.service_name,
            "ApiTaskDefinitionArn": self.api.task_definition.task_definition_arn,
            "AppSubnetIds": ",".join(app_subnets.subnet_ids),
            "TaskSecurityGroupId": self.db_clients.security_group_id,
            "ImageTag": self.config.image_tag,
            "ApiUrl": f"https://{self.config.api_domain}",
        }.items():
            cdk.CfnOutput(self, name, value=value)

    # Database ---------------------------------------------------------------------------

    def _database(self) -> None:
        """RDS Postgres in the isolated subnets. Its master password is generated into
        Secrets Manager by RDS; the operator puts the DATABASE_URL built from it into SSM
        (docs/deployment.md), which is what the app reads, as for an external database."""
        self.database = rds.DatabaseInstance(
            self,
            "Database",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16_13),
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
            vpc=self.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            credentials=rds.Credentials.from_generated_secret("infrasync"),
            database_name="infrasync",
            multi_az=True,
            storage_encrypted=True,
            allocated_storage=20,
            max_allocated_storage=200,
            backup_retention=cdk.Duration.days(14),
            deletion_protection=True,
            auto_minor_version_upgrade=True,
            enable_performance_insights=True,
            cloudwatch_logs_exports=["postgresql"],
            cloudwatch_logs_retention=LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
        )
        self.database.connections.allow_default_port_from(self.db_clients, "Infrasync tasks")
        cdk.CfnOutput(self, "DatabaseEndpoint", value=self.database.db_instance_endpoint_address)
        if self.database.secret is not None:
            cdk.CfnOutput(self, "DatabaseSecretArn", value=self.database.secret.secret_arn)

    # API --------------------------------------------------------------------------------

    def _log_group(self, name: str) -> logs.LogGroup:
        return logs.LogGroup(
            self, f"{name}Logs", retention=LOG_RETENTION, removal_policy=cdk.RemovalPolicy.DESTROY
        )

    def _task(
        self, name: str, command: list[str], *, cpu: int, memory: int, health: bool
    ) -> ecs.FargateTaskDefinition:
        task = ecs.FargateTaskDefinition(
            self,
            f"{name}Task",
            cpu=cpu,
            memory_limit_mib=memory,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        container = task.add_container(
            "app",
            image=self.image,
            command=command,
            environment=self.app_environment,
            secrets=self.app_secrets,
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix=name.lower(), log_group=self._log_group(name)
            ),
            readonly_root_filesystem=False,
            stop_timeout=cdk.Duration.seconds(STOP_SECONDS + 30),
            health_check=(
                ecs.HealthCheck(
                    # Liveness only; the ALB checks /ready (database and schema).
                    command=[
                        "CMD",
                        "python",
                        "-c",
                        "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen("
                        "'http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)",
                    ],
                    interval=cdk.Duration.seconds(15),
                    timeout=cdk.Duration.seconds(5),
                    retries=3,
                    start_period=cdk.Duration.seconds(30),
                )
                if health
                else None
            ),
        )
        if health:
            container.add_port_mappings(ecs.PortMapping(container_port=CONTAINER_PORT))
        return task

    def _api(self) -> None:
        config = self.config
        certificate = acm.Certificate(
            self,
            "ApiCertificate",
            domain_name=config.api_domain,
            validation=acm.CertificateValidation.from_dns(self.zone),
        )
        task = self._task(
            "Api",
            ["serve", "--host", "0.0.0.0", "--port", str(CONTAINER_PORT), "--no-worker"],  # noqa: S104
            cpu=512,
            memory=1024,
            health=True,
        )
        self.api = ecs_patterns.ApplicationLoadBalancedFargateService(
            self,
            "Api",
            cluster=self.cluster,
            task_definition=task,
            desired_count=config.api_min_tasks,
            public_load_balancer=True,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificate=certificate,
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
            redirect_http=True,
            domain_name=config.api_domain,
            domain_zone=self.zone,
            task_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            assign_public_ip=False,
            security_groups=[self.db_clients],
            # A bad deploy never takes the site down: new tasks must pass /ready before
            # old ones stop (100% minimum healthy), and a deploy whose tasks keep failing
            # is stopped and rolled back to the last good task definition.
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            # Time to start and migrate-check before the ALB's failures count.
            health_check_grace_period=cdk.Duration.seconds(60),
        )
        self.api.target_group.configure_health_check(
            path="/ready",
            healthy_http_codes="200",
            interval=cdk.Duration.seconds(15),
            timeout=cdk.Duration.seconds(5),
            healthy_threshold_count=2,
            unhealthy_threshold_count=3,
        )
        self.api.target_group.set_attribute("deregistration_delay.timeout_seconds", "30")
        self.api.load_balancer.set_attribute(
            "routing.http.drop_invalid_header_fields.enabled", "true"
        )
        scaling = self.api.service.auto_scale_task_count(
            min_capacity=config.api_min_tasks, max_capacity=config.api_max_tasks
        )
        scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=60)
        scaling.scale_on_request_count(
            "Requests", requests_per_target=600, target_group=self.api.target_group
        )
        self._api_alarms()

    def _alarm(self, alarm: cloudwatch.Alarm) -> cloudwatch.Alarm:
        alarm.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.alarm_topic))
        return alarm

    def _api_alarms(self) -> None:
        metrics = self.api.load_balancer.metrics
        period = cdk.Duration.minutes(1)
        errors = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * (target5xx + elb5xx) / requests, 0)",
            using_metrics={
                "target5xx": metrics.http_code_target(
                    elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=period, statistic="Sum"
                ),
                "elb5xx": metrics.http_code_elb(
                    elbv2.HttpCodeElb.ELB_5XX_COUNT, period=period, statistic="Sum"
                ),
                "requests": metrics.request_count(period=period, statistic="Sum"),
            },
            label="5xx % of requests",
            period=period,
        )
        self._alarm(
            errors.create_alarm(
                self,
                "Api5xxRate",
                alarm_description="More than 5% of API answers are 5xx",
                threshold=5,
                evaluation_periods=5,
                datapoints_to_alarm=5,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        self._alarm(
            self.api.target_group.metrics.unhealthy_host_count(
                period=period, statistic="Maximum"
            ).create_alarm(
                self,
                "ApiUnhealthyHosts",
                alarm_description="An API task fails /ready",
                threshold=0,
                evaluation_periods=3,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )

    # Workers ----------------------------------------------------------------------------

    def _queue_metric(self, name: str, statistic: str = "Maximum") -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=name,
            dimensions_map={"Service": "infrasync"},
            statistic=statistic,
            period=cdk.Duration.minutes(1),
        )

    def _function(
        self, name: str, handler: str, timeout: cdk.Duration, description: str
    ) -> lambda_.DockerImageFunction:
        function = lambda_.DockerImageFunction(
            self,
            name,
            description=description,
            code=lambda_.DockerImageCode.from_ecr(
                self.repository,
                tag_or_digest=self.config.image_tag,
                entrypoint=LAMBDA_ENTRYPOINT,
                cmd=[handler],
            ),
            architecture=lambda_.Architecture.X86_64,
            memory_size=1024,
            timeout=timeout,
            vpc=self.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[self.db_clients],
            environment={
                "INFRASYNC_ENVIRONMENT": "production",
                "INFRASYNC_SSM_PREFIX": self.config.ssm_prefix,
                "INFRASYNC_PUBLIC_URL": self.app_environment["INFRASYNC_PUBLIC_URL"],
                "INFRASYNC_FRONTEND_URL": self.app_environment["INFRASYNC_FRONTEND_URL"],
                "INFRASYNC_LOG_FORMAT": "json",
            },
            log_group=self._log_group(name),
            tracing=lambda_.Tracing.ACTIVE,
        )
        # Reads its settings under the prefix at cold start (the aws/ssm key decrypts).
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ssm:GetParametersByPath"],
                resources=[
                    f"arn:{self.partition}:ssm:{self.region}:{self.account}:parameter{self.config.ssm_prefix}"
                ],
            )
        )
        return function

    def _queue_metrics_function(self) -> lambda_.DockerImageFunction:
        function = self._function(
            "QueueMetrics",
            QUEUE_METRICS_HANDLER,
            cdk.Duration.seconds(60),
            "Publishes queue lag and worker heartbeat age to CloudWatch each minute",
        )
        events.Rule(
            self,
            "QueueMetricsEachMinute",
            schedule=events.Schedule.rate(cdk.Duration.minutes(1)),
            targets=[events_targets.LambdaFunction(function, retry_attempts=0)],
        )
        return function

    def _worker_service(self) -> None:
        config = self.config
        task = self._task("Worker", ["worker"], cpu=512, memory=1024, health=False)
        self.workers = ecs.FargateService(
            self,
            "Workers",
            cluster=self.cluster,
            task_definition=task,
            desired_count=config.worker_min_tasks,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            assign_public_ip=False,
            security_groups=[self.db_clients],
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
        )
        scaling = self.workers.auto_scale_task_count(
            min_capacity=config.worker_min_tasks, max_capacity=config.worker_max_tasks
        )
        scaling.scale_on_metric(
            "QueueLag",
            metric=self._queue_metric("QueueLagSeconds"),
            scaling_steps=[
                {"upper": 30, "change": -1},
                {"lower": 120, "change": +1},
                {"lower": 600, "change": +3},
            ],
            adjustment_type=cdk.aws_applicationautoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=cdk.Duration.minutes(3),
            evaluation_periods=3,
        )

    def _tick_function(self) -> None:
        """The serverless alternative: a `tick` every 5 minutes. The handler works for
        the invocation's remaining time less the grace and reserve, so its `max_seconds`
        is always under the timeout; overlapping ticks share the queue by row locks."""
        timeout = cdk.Duration.seconds(self.config.tick_max_seconds + STOP_SECONDS)
        self.tick = self._function(
            "Tick", TICK_HANDLER, timeout, "infrasync tick: queue, make and deliver what is due"
        )
        events.Rule(
            self,
            "TickSchedule",
            schedule=events.Schedule.rate(cdk.Duration.minutes(5)),
            targets=[events_targets.LambdaFunction(self.tick, retry_attempts=0)],
        )

    def _queue_alarms(self) -> None:
        self._alarm(
            self._queue_metric("QueueLagSeconds").create_alarm(
                self,
                "QueueLag",
                alarm_description="Work has waited over 5 minutes",
                threshold=300,
                evaluation_periods=10,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            )
        )
        # No datapoint is published while no worker was ever seen: missing breaches.
        self._alarm(
            self._queue_metric("WorkerHeartbeatAgeSeconds").create_alarm(
                self,
                "WorkerHeartbeat",
                alarm_description="No worker has beaten for 10 minutes",
                threshold=600 if self.config.workers == "lambda" else 120,
                evaluation_periods=5,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            )
        )
