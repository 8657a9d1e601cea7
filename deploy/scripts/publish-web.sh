#!/usr/bin/env bash
# Builds the web app and publishes it to the S3 bucket behind CloudFront ($BUCKET,
# $DISTRIBUTION): hashed files under assets/ cached for a year (their name changes with
# their content), everything else (index.html first) no-cache, so a deploy is seen at
# once. Old assets are kept: a page loaded before the deploy may still ask for them.
set -euo pipefail
: "${BUCKET:?BUCKET is the web app bucket (stack output WebBucketName)}"
: "${DISTRIBUTION:?DISTRIBUTION is the CloudFront distribution id (stack output DistributionId)}"
cd "$(dirname "$0")/../.."
(cd web && npm ci --no-audit --no-fund && npm run build)
dist=infrasync/web_dist
aws s3 sync "$dist/assets" "s3://$BUCKET/assets" \
  --cache-control "public, max-age=31536000, immutable"
aws s3 sync "$dist" "s3://$BUCKET" --exclude "assets/*" --delete \
  --cache-control "no-cache"
aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION" --paths "/*" \
  --query Invalidation.Id --output text
