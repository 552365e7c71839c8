using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Tributary.Agent.Producing;

/// <summary>
/// Finds each broker's rack. Confluent.Kafka's <c>GetMetadata</c> does not expose racks and its admin
/// calls need a controller (which librdkafka's mock cluster does not report), so this sends one Kafka
/// Metadata request (version 4, no topics) over a plaintext connection to a bootstrap broker and reads
/// the broker list with racks from the response.
/// </summary>
internal static class BrokerRackDiscovery
{
    private const short MetadataApiKey = 3;
    private const short MetadataVersion = 4;

    /// <summary>Broker id to rack (brokers without a rack are left out).</summary>
    public static async Task<Dictionary<int, string>> DiscoverAsync(string bootstrapServers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Exception? last = null;
        foreach (var server in bootstrapServers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(timeout);
                return await QueryAsync(server, cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or InvalidDataException && !cancellationToken.IsCancellationRequested)
            {
                last = ex;
            }
        }

        throw new IOException($"No bootstrap server of '{bootstrapServers}' answered a metadata request for broker racks.", last);
    }

    private static async Task<Dictionary<int, string>> QueryAsync(string server, CancellationToken cancellationToken)
    {
        var colon = server.LastIndexOf(':');
        var host = server[..colon];
        var port = int.Parse(server[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        var stream = client.GetStream();

        var clientId = "tributary-agent"u8;
        var request = new byte[4 + 2 + 2 + 4 + 2 + clientId.Length + 4 + 1];
        var span = request.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, request.Length - 4);
        BinaryPrimitives.WriteInt16BigEndian(span[4..], MetadataApiKey);
        BinaryPrimitives.WriteInt16BigEndian(span[6..], MetadataVersion);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], 1);
        BinaryPrimitives.WriteInt16BigEndian(span[12..], (short)clientId.Length);
        clientId.CopyTo(span[14..]);
        var at = 14 + clientId.Length;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 0); // no topics: brokers only
        span[at + 4] = 0; // allow_auto_topic_creation = false
        await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);

        var sizeBytes = new byte[4];
        await stream.ReadExactlyAsync(sizeBytes, cancellationToken).ConfigureAwait(false);
        var size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
        if (size is < 8 or > 64 * 1024 * 1024)
        {
            throw new InvalidDataException($"Metadata response from {server} has an implausible size {size}.");
        }

        var response = new byte[size];
        await stream.ReadExactlyAsync(response, cancellationToken).ConfigureAwait(false);
        var reader = new Reader(response);
        reader.Int32(); // correlation id
        reader.Int32(); // throttle time
        var racks = new Dictionary<int, string>();
        var brokers = reader.Int32();
        for (var i = 0; i < brokers; i++)
        {
            var id = reader.Int32();
            reader.String();
            reader.Int32();
            if (reader.String() is { Length: > 0 } rack)
            {
                racks[id] = rack;
            }
        }

        return racks;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public int Int32()
        {
            var v = BinaryPrimitives.ReadInt32BigEndian(_data[_pos..]);
            _pos += 4;
            return v;
        }

        public string? String()
        {
            var length = BinaryPrimitives.ReadInt16BigEndian(_data[_pos..]);
            _pos += 2;
            if (length < 0)
            {
                return null;
            }

            var s = Encoding.UTF8.GetString(_data.Slice(_pos, length));
            _pos += length;
            return s;
        }
    }
}
