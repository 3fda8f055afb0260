//! Bucket operations: create (AWS naming rules are enforced by s3s's path parser), head, list,
//! delete (only when empty) and location.

use s3s::dto::{
    Bucket, CreateBucketInput, CreateBucketOutput, DeleteBucketInput, DeleteBucketOutput,
    GetBucketLocationInput, GetBucketLocationOutput, HeadBucketInput, HeadBucketOutput,
    ListBucketsInput, ListBucketsOutput, Owner,
};
use s3s::{S3Request, S3Response, S3Result, s3_error};

use crate::Tessera;
use crate::convert;
use crate::error::StorageResultExt as _;

/// The owner shown in listings: Tessera has one account.
pub fn owner() -> Owner {
    Owner {
        display_name: Some("tessera".into()),
        id: Some("tessera".into()),
    }
}

impl Tessera {
    fn region(&self) -> &str {
        self.options.region.as_deref().unwrap_or("us-east-1")
    }

    pub(crate) async fn create_bucket_op(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let input = req.input;
        if let Some(constraint) = input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|c| c.as_str().to_owned())
            && let Some(region) = &self.options.region
            && !constraint.is_empty()
            && constraint != *region
        {
            return Err(s3_error!(
                InvalidLocationConstraint,
                "this server serves region `{region}`; the bucket's location constraint `{constraint}` must match it or be left out"
            ));
        }
        self.backend.create_bucket(&input.bucket).await.or_s3()?;
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{}", input.bucket)),
        }))
    }

    pub(crate) async fn head_bucket_op(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.backend.head_bucket(&req.input.bucket).await.or_s3()?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(self.region().to_owned()),
            ..Default::default()
        }))
    }

    pub(crate) async fn list_buckets_op(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let buckets = self.backend.list_buckets().await.or_s3()?;
        let buckets = buckets
            .into_iter()
            .map(|b| Bucket {
                name: Some(b.name),
                creation_date: Some(convert::timestamp(b.created)),
                bucket_region: Some(self.region().to_owned()),
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(owner()),
            ..Default::default()
        }))
    }

    pub(crate) async fn delete_bucket_op(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.backend
            .delete_bucket(&req.input.bucket)
            .await
            .or_s3()?;
        // The bucket is gone: so is its policy (a failure here leaves a policy no bucket uses).
        if let Err(e) = self
            .authorizer
            .iam()
            .delete_bucket_policy(&req.input.bucket)
        {
            tracing::warn!(bucket = %req.input.bucket, error = %e, "could not remove the policy of a deleted bucket");
        }
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    pub(crate) async fn get_bucket_location_op(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.backend.head_bucket(&req.input.bucket).await.or_s3()?;
        // us-east-1 is reported as an empty constraint, as AWS does.
        let location_constraint = self
            .options
            .region
            .as_ref()
            .filter(|r| r.as_str() != "us-east-1")
            .map(|r| s3s::dto::BucketLocationConstraint::from(r.clone()));
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint,
        }))
    }
}
