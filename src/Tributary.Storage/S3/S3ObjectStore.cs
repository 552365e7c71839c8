using System.Net;
using System.Runtime.CompilerServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Tributary.Storage;

/// <summary>
/// An <see cref="IObjectStore"/> over S3 or an S3-compatible server (AWSSDK.S3). Objects above
/// <see cref="S3ObjectStoreOptions.MultipartThresholdBytes"/> are uploaded in parts; a PUT is atomic on
/// S3 (readers see the old or the new object, never a torn one), and so is a completed multipart upload.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly S3ObjectStoreOptions _options;
    private readonly IAmazonS3 _s3;
    private readonly string _prefix;

    /// <summary>Creates the store; throws <see cref="ArgumentException"/> naming the setting when the options are invalid.</summary>
    public S3ObjectStore(S3ObjectStoreOptions options)
    {
        var failures = S3ObjectStoreOptionsRules.Collect(options).ToList();
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), nameof(options));
        }

        _options = options;
        _prefix = options.Prefix.Length == 0 ? string.Empty : options.Prefix + "/";
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            Timeout = options.RequestTimeout,
            MaxErrorRetry = options.MaxErrorRetry,
            RetryMode = RequestRetryMode.Standard,
        };
        if (string.IsNullOrWhiteSpace(options.ServiceUrl))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = options.Region;
        }

        if (options.DisableChunkEncoding)
        {
            // S3-compatible servers rarely understand aws-chunked bodies with trailing checksums.
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        _s3 = string.IsNullOrEmpty(options.AccessKeyId)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey), config);
    }

    /// <inheritdoc />
    public string Location => $"s3://{_options.Bucket}/{_options.Prefix}";

    /// <summary>Creates the bucket when it does not exist yet.</summary>
    public async Task EnsureBucketAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _s3.PutBucketAsync(new PutBucketRequest { BucketName = _options.Bucket }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
            // fine: it is there
        }
    }

    /// <inheritdoc />
    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        var fullKey = FullKey(key);
        var length = content.CanSeek ? content.Length - content.Position : -1;
        if (length >= 0 && length <= _options.MultipartThresholdBytes)
        {
            await PutSingleAsync(fullKey, content, cancellationToken).ConfigureAwait(false);
            return;
        }

        await PutMultipartAsync(fullKey, content, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        using var stream = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);
        await PutAsync(key, stream, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = FullKey(key) }, cancellationToken).ConfigureAwait(false);
            return new ResponseStream(response);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task<ObjectInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var meta = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = FullKey(key) }, cancellationToken).ConfigureAwait(false);
            return new ObjectInfo(key, meta.ContentLength, meta.LastModified ?? DateTime.UtcNow);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _prefix + prefix };
        var found = new List<ObjectInfo>();
        while (true)
        {
            var response = await _s3.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            foreach (var o in response.S3Objects ?? [])
            {
                found.Add(new ObjectInfo(o.Key[_prefix.Length..], o.Size ?? 0, o.LastModified ?? DateTime.UtcNow));
            }

            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken))
            {
                break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }

        // S3 lists in UTF-8 byte order; the contract is ordinal (UTF-16) order: equal for the keys we write.
        found.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var item in found)
        {
            yield return item;
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = FullKey(key) }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // deleting a missing key is not an error
        }
    }

    /// <inheritdoc />
    public void Dispose() => _s3.Dispose();

    private async Task PutSingleAsync(string fullKey, Stream content, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = fullKey,
            InputStream = content,
            AutoCloseStream = false,
            AutoResetStreamPosition = false,
            UseChunkEncoding = !_options.DisableChunkEncoding,
        };
        await _s3.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task PutMultipartAsync(string fullKey, Stream content, CancellationToken cancellationToken)
    {
        var init = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = fullKey }, cancellationToken).ConfigureAwait(false);
        var parts = new List<PartETag>();
        var buffer = new byte[_options.MultipartPartSizeBytes];
        try
        {
            var partNumber = 1;
            while (true)
            {
                // Parts are read into a buffer so that each one is a seekable body the SDK can retry.
                var filled = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (filled == 0 && partNumber > 1)
                {
                    break;
                }

                using var part = new MemoryStream(buffer, 0, filled, writable: false);
                var response = await _s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _options.Bucket,
                    Key = fullKey,
                    UploadId = init.UploadId,
                    PartNumber = partNumber,
                    InputStream = part,
                    PartSize = filled,
                    IsLastPart = filled < buffer.Length,
                    UseChunkEncoding = !_options.DisableChunkEncoding,
                }, cancellationToken).ConfigureAwait(false);
                parts.Add(new PartETag(partNumber, response.ETag));
                partNumber++;
                if (filled < buffer.Length)
                {
                    break;
                }
            }

            await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = fullKey,
                UploadId = init.UploadId,
                PartETags = parts,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = fullKey, UploadId = init.UploadId }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (AmazonServiceException)
            {
                // the original failure matters more; S3 lifecycle rules clean up abandoned uploads
            }

            throw;
        }
    }

    private string FullKey(string key) => _prefix + ObjectKey.Validate(key);

    /// <summary>Keeps the SDK response alive as long as its body is read.</summary>
    private sealed class ResponseStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => response.ContentLength;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => _inner.Read(buffer);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
