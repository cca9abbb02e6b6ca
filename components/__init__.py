"""The matih-minio program's building blocks: pure planning modules and the Pulumi components built on them."""
