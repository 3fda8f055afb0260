//! Bucket policies: put (validated as a bucket policy naming this bucket), get, delete and
//! status. They are kept with the identity state and evaluated with the caller's own policies
//! on every request (see `authorize`), which is how public buckets and cross-user grants work.

use s3s::dto::{
    DeleteBucketPolicyInput, DeleteBucketPolicyOutput, GetBucketPolicyInput, GetBucketPolicyOutput,
    GetBucketPolicyStatusInput, GetBucketPolicyStatusOutput, PolicyStatus, PutBucketPolicyInput,
    PutBucketPolicyOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};
use tessera_iam::IamError;
use tessera_policy::Conditions;

use crate::Tessera;
use crate::authorize::resource_arn;
use crate::error::StorageResultExt as _;

fn iam_error(e: IamError) -> S3Error {
    match e {
        IamError::InvalidPolicy(p) => {
            S3Error::with_message(S3ErrorCode::MalformedPolicy, p.to_string())
        }
        IamError::Store(m) => {
            tracing::error!(error = %m, "identity store failure");
            s3_error!(
                InternalError,
                "the server failed to store the bucket policy; retry"
            )
        }
        other => s3_error!(InvalidArgument, "{other}"),
    }
}

impl Tessera {
    pub(crate) async fn put_bucket_policy_op(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        let input = req.input;
        self.backend.head_bucket(&input.bucket).await.or_s3()?;
        self.authorizer
            .iam()
            .put_bucket_policy(&input.bucket, &input.policy)
            .map_err(iam_error)?;
        Ok(S3Response::new(PutBucketPolicyOutput {}))
    }

    pub(crate) async fn get_bucket_policy_op(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        let bucket = req.input.bucket;
        self.backend.head_bucket(&bucket).await.or_s3()?;
        match self.authorizer.iam().bucket_policy(&bucket) {
            Some((document, _)) => Ok(S3Response::new(GetBucketPolicyOutput {
                policy: Some(document),
            })),
            None => Err(s3_error!(
                NoSuchBucketPolicy,
                "the bucket `{bucket}` has no policy"
            )),
        }
    }

    pub(crate) async fn delete_bucket_policy_op(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        let bucket = req.input.bucket;
        self.backend.head_bucket(&bucket).await.or_s3()?;
        self.authorizer
            .iam()
            .delete_bucket_policy(&bucket)
            .map_err(iam_error)?;
        Ok(S3Response::new(DeleteBucketPolicyOutput {}))
    }

    pub(crate) async fn get_bucket_policy_status_op(
        &self,
        req: S3Request<GetBucketPolicyStatusInput>,
    ) -> S3Result<S3Response<GetBucketPolicyStatusOutput>> {
        let bucket = req.input.bucket;
        self.backend.head_bucket(&bucket).await.or_s3()?;
        if self.authorizer.iam().bucket_policy(&bucket).is_none() {
            return Err(s3_error!(
                NoSuchBucketPolicy,
                "the bucket `{bucket}` has no policy"
            ));
        }
        // Public: an anonymous request may read objects or list the bucket.
        let anonymous = |action: &str, resource: &str| {
            self.authorizer
                .decide(None, Some(&bucket), action, resource, |_| Conditions::new())
        };
        let is_public = anonymous(
            "s3:GetObject",
            &resource_arn(Some(&bucket), Some("any-key")),
        ) || anonymous("s3:ListBucket", &resource_arn(Some(&bucket), None));
        Ok(S3Response::new(GetBucketPolicyStatusOutput {
            policy_status: Some(PolicyStatus {
                is_public: Some(is_public),
            }),
        }))
    }
}
