"""Every type token the project names: its own components' and the providers' resources'.

Components pass ours to `ComponentResource.__init__`; the runner, the review tools and the policy pack find
resources by these. The providers' tokens are the ones their SDKs register (pulumi-minio, pulumi-kubernetes,
pulumi-random at our pinned versions); tests/test_tokens.py checks each against the installed SDK's class.
"""

# Ours (ComponentResources): matih:<module>:<Name>.
MINIO_CLUSTER = "matih:storage:MinioCluster"
PLATFORM_BUCKETS = "matih:storage:PlatformBuckets"
SERVICE_NAMESPACES = "matih:platform:ServiceNamespaces"
SERVICE_USERS = "matih:tenancy:ServiceUsers"
TENANT = "matih:tenancy:Tenant"
MONITORING = "matih:monitoring:Monitoring"

# The engine's own.
STACK = "pulumi:pulumi:Stack"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
MINIO_PROVIDER = "pulumi:providers:minio"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"

# pulumi-minio.
S3_BUCKET = "minio:index/s3Bucket:S3Bucket"
S3_BUCKET_POLICY = "minio:index/s3BucketPolicy:S3BucketPolicy"
S3_BUCKET_ENCRYPTION = "minio:index/s3BucketServerSideEncryption:S3BucketServerSideEncryption"
S3_BUCKET_VERSIONING = "minio:index/s3BucketVersioning:S3BucketVersioning"
ILM_POLICY = "minio:index/ilmPolicy:IlmPolicy"
IAM_USER = "minio:index/iamUser:IamUser"
IAM_POLICY = "minio:index/iamPolicy:IamPolicy"
IAM_USER_POLICY_ATTACHMENT = "minio:index/iamUserPolicyAttachment:IamUserPolicyAttachment"
IAM_GROUP_POLICY = "minio:index/iamGroupPolicy:IamGroupPolicy"
IAM_SERVICE_ACCOUNT = "minio:index/iamServiceAccount:IamServiceAccount"
KMS_KEY = "minio:index/kmsKey:KmsKey"

# pulumi-kubernetes.
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
SERVICE = "kubernetes:core/v1:Service"
NAMESPACE = "kubernetes:core/v1:Namespace"
PERSISTENT_VOLUME = "kubernetes:core/v1:PersistentVolume"
PERSISTENT_VOLUME_CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
JOB = "kubernetes:batch/v1:Job"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"

# pulumi-random.
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
RANDOM_BYTES = "random:index/randomBytes:RandomBytes"
