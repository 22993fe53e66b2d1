@{
    # Parameters every S3Turbo cmdlet shares (credentials, region, endpoint), named as in AWS.Tools.Common.
    Parameters = @{
        AccessKey                  = 'The AWS access key ID. Give it with -SecretKey (and -SessionToken for temporary credentials). Explicit keys win over every other credential source.'
        SecretKey                  = 'The AWS secret access key that goes with -AccessKey. It is never written to output, progress, verbose or error text.'
        SessionToken               = 'The session token for temporary credentials (STS), with -AccessKey and -SecretKey.'
        ProfileName                = 'A named profile in the shared credentials/config files (or the .NET SDK credential store). A profile that does not exist is an error (ProfileNotFound), never a silent fall-through to other credentials.'
        ProfileLocation            = 'The path of the shared credentials file to read -ProfileName from, when it is not ~/.aws/credentials.'
        Credential                 = 'An AWS credentials object, for example one made by AWS.Tools (New-AWSCredential) or [Amazon.Runtime.BasicAWSCredentials]. Objects from another copy of the AWS SDK are accepted: S3Turbo calls their GetCredentials() method on each request, so refreshing credentials keep working. When no credential parameter is given, S3Turbo uses $StoredAWSCredentials (a profile name or credentials object set by Set-AWSCredential), then the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, web identity), then the default profile, then container and EC2 instance roles, in that order.'
        Region                     = 'The AWS region (for example eu-west-1). Without it: $StoredAWSRegion, then the profile''s region, then AWS_REGION / AWS_DEFAULT_REGION. With -EndpointUrl it is the signing region (default us-east-1). A name that is not of AWS''s shape is rejected with InvalidRegion.'
        EndpointUrl                = 'The endpoint of an S3-compatible store (Ceph RGW, MinIO, Wasabi, R2, ...), for example http://127.0.0.1:7480. Without it, AWS_ENDPOINT_URL_S3 and then AWS_ENDPOINT_URL are used when set. With a custom endpoint, path-style addressing is used unless -ForcePathStyleAddressing:$false. A plain-http endpoint draws a warning (once per session).'
        ForcePathStyleAddressing   = 'Use path-style URLs (http://host/bucket/key) instead of virtual-hosted ones (http://bucket.host/key). The default is path-style for custom endpoints and virtual-hosted for AWS; -ForcePathStyleAddressing:$false turns path-style off for a custom endpoint that serves virtual hosts.'
        RequestChecksumCalculation = 'WhenSupported (default) sends the SDK''s CRC32 checksums as aws-chunked trailers; WhenRequired sends checksums only where S3 requires them. Use WhenRequired for stores that reject trailing checksums (for example Ceph 16, older MinIO): S3Turbo suggests it when a store answers XAmzContentSHA256Mismatch.'
    }
}
