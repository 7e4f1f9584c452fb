using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PacketCluster.Engine.Metal;

/// <summary>
/// The only door to the Packet (Equinix Metal) API: builds every request, sends the auth and product headers,
/// follows pages, retries idempotent calls, maps failures once into <see cref="PacketApiException"/> subtypes and
/// keeps the API key out of every message and log line. Methods are named by intent and return records.
/// Thread-safe: one instance serves a whole engine.
/// </summary>
public sealed class PacketClient : IDisposable
{
    private const int DefaultPerPage = 100;

    // The spec's page-size default for IPs (equinix-sdk-go patch 20240119-paginate-ips).
    private const int IpPerPage = 250;

    private readonly PacketApiOptions _options;
    private readonly IEngineLog _log;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly SecretRedactor _redactor;
    private readonly PacketRetryPolicy _retry;

    public PacketClient(PacketApiOptions options, IEngineLog log, HttpMessageHandler? handler = null, TimeProvider? timeProvider = null)
        : this(options, log, handler, timeProvider, jitter: null)
    {
    }

    /// <param name="jitter">Source of [0,1) jitter; tests pin it.</param>
    internal PacketClient(PacketApiOptions options, IEngineLog log, HttpMessageHandler? handler, TimeProvider? timeProvider, Func<double>? jitter)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _log = log ?? NullEngineLog.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _redactor = new SecretRedactor(options.ApiKey);
        _retry = new PacketRetryPolicy(options, _time, jitter ?? Random.Shared.NextDouble);
        _endpoint = options.Endpoint.AbsoluteUri.EndsWith('/') ? options.Endpoint : new Uri(options.Endpoint.AbsoluteUri + "/");
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = DecompressionMethods.All })
            : new HttpClient(handler, disposeHandler: false);
        // Per-attempt timeouts are ours (linked to the caller's token), so a timeout and a cancellation stay distinguishable.
        _http.Timeout = System.Threading.Timeout.InfiniteTimeSpan;
    }

    public PacketApiOptions Options => _options;

    public void Dispose() => _http.Dispose();

    // ---------------------------------------------------------------- projects

    public async Task<Project> GetProjectAsync(string projectId, CancellationToken cancellationToken = default) =>
        await GetAsync<Project>($"projects/{Id(projectId, nameof(projectId))}", cancellationToken).ConfigureAwait(false);

    public Task<IReadOnlyList<Project>> ListProjectsAsync(CancellationToken cancellationToken = default) =>
        ListAllPagesAsync<Project>("projects", new Query(), "projects", DefaultPerPage, cancellationToken);

    // ---------------------------------------------------------------- devices

    /// <summary>
    /// POST /projects/{id}/devices. Never retried, not even after a dropped connection: the API may have created the
    /// device, and a blind retry would make a second one. Callers find devices by tag before creating again.
    /// </summary>
    public async Task<Device> CreateDeviceAsync(string projectId, DeviceCreateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = request.Problems();
        if (problems.Count > 0)
            throw new PacketClusterException("PacketDeviceRequestInvalid", ErrorKind.InvalidArgument,
                $"Cannot create device '{request.Hostname}': {string.Join("; ", problems)}.",
                "Fix the device request as the message lists (plan, metro, operating system, hostname).", request.Hostname);
        var response = await SendAsync(HttpMethod.Post, $"projects/{Id(projectId, nameof(projectId))}/devices", request.ToJson(),
            retryable: false, cancellationToken).ConfigureAwait(false);
        return Read<Device>(response);
    }

    /// <param name="include">Relations to expand, e.g. "project", "hardware_reservation".</param>
    public async Task<Device> GetDeviceAsync(string deviceId, IReadOnlyList<string>? include = null, CancellationToken cancellationToken = default) =>
        await GetAsync<Device>($"devices/{Id(deviceId, nameof(deviceId))}" + new Query().AddList("include", include), cancellationToken)
            .ConfigureAwait(false);

    /// <summary>
    /// GET /devices/{id}/userdata: what the device boots with. It holds key material (tokens, CA keys of control
    /// planes), so callers keep it in memory only, and the debug log shows the URL, never the body.
    /// </summary>
    public async Task<string> GetDeviceUserdataAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(HttpMethod.Get, $"devices/{Id(deviceId, nameof(deviceId))}/userdata", body: null, retryable: true, cancellationToken)
            .ConfigureAwait(false);
        return Parse(response, root => root.ValueKind == JsonValueKind.Object && root.TryGetProperty("userdata", out var u) && u.ValueKind == JsonValueKind.String
            ? u.GetString()! : "");
    }

    /// <summary>Every device in the project matching the filter, all pages followed.</summary>
    public Task<IReadOnlyList<Device>> ListDevicesAsync(string projectId, DeviceListFilter? filter = null, CancellationToken cancellationToken = default)
    {
        filter ??= new DeviceListFilter();
        var query = new Query().Add("tag", filter.Tag).Add("search", filter.Search).AddList("include", filter.Include);
        return ListAllPagesAsync<Device>($"projects/{Id(projectId, nameof(projectId))}/devices", query, "devices",
            filter.PerPage ?? DefaultPerPage, cancellationToken);
    }

    /// <summary>The project's devices carrying <paramref name="tag"/> (the tag is filtered server-side, and again here in case the server ignores it).</summary>
    public async Task<IReadOnlyList<Device>> FindDevicesByTagAsync(string projectId, string tag, CancellationToken cancellationToken = default)
    {
        var devices = await ListDevicesAsync(projectId, new DeviceListFilter { Tag = tag }, cancellationToken).ConfigureAwait(false);
        return devices.Where(d => d.Tags.Contains(tag, StringComparer.Ordinal)).ToArray();
    }

    /// <summary>PUT /devices/{id}; only the request's non-null fields change.</summary>
    public async Task<Device> UpdateDeviceAsync(string deviceId, DeviceUpdateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await SendAsync(HttpMethod.Put, $"devices/{Id(deviceId, nameof(deviceId))}", request.ToJson(),
            retryable: true, cancellationToken).ConfigureAwait(false);
        return Read<Device>(response);
    }

    /// <summary>
    /// DELETE /devices/{id}. A retry after a lost response can answer 404 (<see cref="PacketApiNotFoundException"/>):
    /// callers treat 404, and 403, as gone.
    /// </summary>
    /// <param name="forceDelete">Detach storage volumes first (the spec's force_delete query parameter).</param>
    public Task DeleteDeviceAsync(string deviceId, bool forceDelete = false, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"devices/{Id(deviceId, nameof(deviceId))}" + new Query().Add("force_delete", forceDelete ? "true" : null),
            body: null, retryable: true, cancellationToken);

    /// <summary>POST /devices/{id}/actions (202). Not retried: a second reboot is not harmless.</summary>
    public Task PerformDeviceActionAsync(string deviceId, DeviceActionType type, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"devices/{Id(deviceId, nameof(deviceId))}/actions",
            new JsonObject { ["type"] = JsonNamingPolicy.SnakeCaseLower.ConvertName(type.ToString()) },
            retryable: false, cancellationToken);

    public Task<IReadOnlyList<DeviceEvent>> ListDeviceEventsAsync(string deviceId, CancellationToken cancellationToken = default) =>
        ListAllPagesAsync<DeviceEvent>($"devices/{Id(deviceId, nameof(deviceId))}/events", new Query(), "events", DefaultPerPage, cancellationToken);

    // ---------------------------------------------------------------- catalogue

    public Task<IReadOnlyList<Metro>> GetMetrosAsync(CancellationToken cancellationToken = default) =>
        GetListAsync<Metro>("locations/metros", "metros", cancellationToken);

    public Task<IReadOnlyList<Facility>> GetFacilitiesAsync(CancellationToken cancellationToken = default) =>
        GetListAsync<Facility>("facilities", "facilities", cancellationToken);

    /// <summary>
    /// Plans, with their availability included (without the include the API sends href-only entries that carry no code).
    /// With a metro or facility in the filter, only the plans offered there.
    /// </summary>
    public async Task<IReadOnlyList<Plan>> GetPlansAsync(PlanFilter? filter = null, CancellationToken cancellationToken = default)
    {
        filter ??= new PlanFilter();
        var include = new List<string>();
        if (filter.Facility is not null || filter.Metro is null) include.Add("available_in");
        if (filter.Metro is not null || filter.Facility is null) include.Add("available_in_metros");
        var plans = await GetListAsync<Plan>("plans" + new Query().AddList("include", include), "plans", cancellationToken).ConfigureAwait(false);
        return plans
            .Where(p => filter.Metro is null || p.IsAvailableInMetro(filter.Metro))
            .Where(p => filter.Facility is null || p.IsAvailableInFacility(filter.Facility))
            .ToArray();
    }

    public Task<IReadOnlyList<PacketOperatingSystem>> GetOperatingSystemsAsync(CancellationToken cancellationToken = default) =>
        GetListAsync<PacketOperatingSystem>("operating-systems", "operating_systems", cancellationToken);

    /// <summary>
    /// Whether <paramref name="quantity"/> servers of <paramref name="plan"/> can be provisioned at the location.
    /// A POST, but read-only, so it is retried like a GET.
    /// </summary>
    public async Task<CapacityCheckResult> CheckCapacityAsync(PacketLocation location, string plan, int quantity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        var server = new JsonObject
        {
            [location.IsMetro ? "metro" : "facility"] = location.Code,
            ["plan"] = plan,
            // ServerInfo.quantity is a string in the spec (packngo sent an int; the API reads both).
            ["quantity"] = quantity.ToString(CultureInfo.InvariantCulture),
        };
        var body = new JsonObject { ["servers"] = new JsonArray(server) };
        var response = await SendAsync(HttpMethod.Post, location.IsMetro ? "capacity/metros" : "capacity", body,
            retryable: true, cancellationToken).ConfigureAwait(false);
        var servers = ReadCollection<CapacityCheckResult>(response, "servers");
        return servers.Count > 0
            ? servers[0]
            : throw InvalidResponse(response, "the capacity answer lists no servers");
    }

    public Task<IReadOnlyList<HardwareReservation>> ListHardwareReservationsAsync(string projectId, CancellationToken cancellationToken = default) =>
        ListAllPagesAsync<HardwareReservation>($"projects/{Id(projectId, nameof(projectId))}/hardware-reservations", new Query(),
            "hardware_reservations", DefaultPerPage, cancellationToken);

    // ---------------------------------------------------------------- SSH keys

    public Task<IReadOnlyList<SshKey>> ListProjectSshKeysAsync(string projectId, CancellationToken cancellationToken = default) =>
        GetListAsync<SshKey>($"projects/{Id(projectId, nameof(projectId))}/ssh-keys", "ssh_keys", cancellationToken);

    public Task<IReadOnlyList<SshKey>> ListUserSshKeysAsync(CancellationToken cancellationToken = default) =>
        GetListAsync<SshKey>("ssh-keys", "ssh_keys", cancellationToken);

    /// <summary>POST /projects/{id}/ssh-keys (201). Not retried.</summary>
    public async Task<SshKey> CreateProjectSshKeyAsync(string projectId, SshKeyCreateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await SendAsync(HttpMethod.Post, $"projects/{Id(projectId, nameof(projectId))}/ssh-keys", request.ToJson(),
            retryable: false, cancellationToken).ConfigureAwait(false);
        return Read<SshKey>(response);
    }

    // ---------------------------------------------------------------- IP addresses

    /// <summary>
    /// POST /projects/{id}/ips (201). Not retried. Over quota the API answers 422 when
    /// <see cref="IpReservationRequest.FailOnApprovalRequired"/> is set, else a reservation in state "pending".
    /// </summary>
    public async Task<IpReservation> RequestIpReservationAsync(string projectId, IpReservationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await SendAsync(HttpMethod.Post, $"projects/{Id(projectId, nameof(projectId))}/ips", request.ToJson(),
            retryable: false, cancellationToken).ConfigureAwait(false);
        return Read<IpReservation>(response);
    }

    /// <param name="types">e.g. "public_ipv4"; null for all types.</param>
    public Task<IReadOnlyList<IpReservation>> ListIpReservationsAsync(string projectId, IReadOnlyList<string>? types = null, CancellationToken cancellationToken = default)
    {
        var query = new Query();
        foreach (var type in types ?? []) query.Add("types", type);
        return ListAllPagesAsync<IpReservation>($"projects/{Id(projectId, nameof(projectId))}/ips", query, "ip_addresses", IpPerPage, cancellationToken);
    }

    /// <summary>GET /ips/{id}: an <see cref="IpAssignment"/> (it has assigned_to) or an <see cref="IpReservation"/>.</summary>
    public async Task<PacketIpAddress> GetIpAsync(string ipId, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(HttpMethod.Get, $"ips/{Id(ipId, nameof(ipId))}", body: null, retryable: true, cancellationToken)
            .ConfigureAwait(false);
        var isAssignment = Parse(response, root =>
            root.ValueKind == JsonValueKind.Object && root.TryGetProperty("assigned_to", out var assignedTo) && assignedTo.ValueKind != JsonValueKind.Null);
        return isAssignment ? Read<IpAssignment>(response) : Read<IpReservation>(response);
    }

    /// <summary>POST /devices/{id}/ips (201): puts <paramref name="address"/> (bare or with /cidr) on the device. Not retried.</summary>
    public async Task<IpAssignment> AssignIpAsync(string deviceId, string address, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var response = await SendAsync(HttpMethod.Post, $"devices/{Id(deviceId, nameof(deviceId))}/ips", new JsonObject { ["address"] = address },
            retryable: false, cancellationToken).ConfigureAwait(false);
        return Read<IpAssignment>(response);
    }

    /// <summary>DELETE /ips/{assignment id}: takes the address off its device; the reservation stays.</summary>
    public Task UnassignIpAsync(string assignmentId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"ips/{Id(assignmentId, nameof(assignmentId))}", body: null, retryable: true, cancellationToken);

    /// <summary>DELETE /ips/{reservation id}: gives the block back.</summary>
    public Task DeleteIpReservationAsync(string reservationId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"ips/{Id(reservationId, nameof(reservationId))}", body: null, retryable: true, cancellationToken);

    // ---------------------------------------------------------------- reading

    private async Task<T> GetAsync<T>(string relativeUrl, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, relativeUrl, body: null, retryable: true, cancellationToken).ConfigureAwait(false);
        return Read<T>(response);
    }

    /// <summary>Lists the API does not paginate (plans, OS, metros, facilities, SSH keys).</summary>
    private async Task<IReadOnlyList<T>> GetListAsync<T>(string relativeUrl, string collection, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, relativeUrl, body: null, retryable: true, cancellationToken).ConfigureAwait(false);
        return ReadCollection<T>(response, collection);
    }

    /// <summary>
    /// Follows pages by number, as equinix-sdk-go does: meta.next hrefs may or may not carry the /metal/v1 prefix
    /// (packet-api.md §1), page numbers are unambiguous. Stops when meta.last_page &lt;= current_page, when meta.next
    /// is null, or on an empty page; more than MaxPages pages is an error, not a silent truncation (a device missing from
    /// a tag lookup would be created twice).
    /// </summary>
    private async Task<IReadOnlyList<T>> ListAllPagesAsync<T>(string path, Query query, string collection, int perPage, CancellationToken cancellationToken)
    {
        var all = new List<T>();
        for (var page = 1; ; page++)
        {
            if (page > _options.MaxPages)
                throw new PacketClusterException("PacketApiTooManyPages", ErrorKind.InvalidData,
                    $"Packet API: GET /{path} still had more results after {_options.MaxPages} pages; stopped rather than loop forever.",
                    "Narrow the query (e.g. by metro), or report it: the API kept returning more pages.", path);

            var pageQuery = query.Clone().Add("page", page.ToString(CultureInfo.InvariantCulture))
                .Add("per_page", perPage.ToString(CultureInfo.InvariantCulture));
            var response = await SendAsync(HttpMethod.Get, path + pageQuery, body: null, retryable: true, cancellationToken).ConfigureAwait(false);
            var (items, meta) = ReadPage<T>(response, collection);
            all.AddRange(items);

            var current = Int(meta?.CurrentPage) ?? page;
            if (items.Count == 0 || (Int(meta?.LastPage) is { } last && last <= current) || meta?.Next is not { ValueKind: JsonValueKind.Object })
                return all;
        }

        static int? Int(JsonElement? value) =>
            value is { ValueKind: JsonValueKind.Number } number && number.TryGetInt32(out var n) ? n : null;
    }

    /// <summary>A page's <c>meta</c>, read leniently: a field of an unexpected type counts as absent.</summary>
    private sealed record PageMeta(JsonElement? CurrentPage, JsonElement? LastPage, JsonElement? Next);

    /// <summary>
    /// One page in a single pass over the UTF-8 body: the items straight into records, then <c>meta</c>. A page of 100
    /// devices is about a megabyte; parsing it into a document first would double that and keep pooled buffers of its
    /// size in the manager for good.
    /// </summary>
    private (IReadOnlyList<T> Items, PageMeta? Meta) ReadPage<T>(ApiResponse response, string collection)
    {
        try
        {
            var reader = new Utf8JsonReader(response.Body.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw InvalidResponse(response, $"the body has no \"{collection}\" list");
            IReadOnlyList<T>? items = null;
            PageMeta? meta = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isItems = reader.ValueTextEquals(collection);
                var isMeta = !isItems && reader.ValueTextEquals("meta"u8);
                reader.Read();
                if (isItems)
                    items = reader.TokenType == JsonTokenType.Null ? [] : JsonSerializer.Deserialize<List<T>>(ref reader, MetalJson.Options) ?? [];
                else if (isMeta && reader.TokenType == JsonTokenType.StartObject)
                    meta = JsonSerializer.Deserialize<PageMeta>(ref reader, MetalJson.Options);
                else
                    reader.Skip();
            }
            return (items ?? throw InvalidResponse(response, $"the body has no \"{collection}\" list"), meta);
        }
        catch (JsonException ex)
        {
            throw InvalidResponse(response, _redactor.Redact(ex.Message));
        }
    }

    private T Read<T>(ApiResponse response)
    {
        try
        {
            return (IsBlank(response.Body) ? default : JsonSerializer.Deserialize<T>(response.Body.Span, MetalJson.Options))
                ?? throw InvalidResponse(response, "the body is empty");
        }
        catch (JsonException ex)
        {
            throw InvalidResponse(response, _redactor.Redact(ex.Message));
        }
    }

    private IReadOnlyList<T> ReadCollection<T>(ApiResponse response, string collection) => ReadPage<T>(response, collection).Items;

    /// <summary>An empty or whitespace-only body reads as no body, as it did when bodies were strings.</summary>
    private static bool IsBlank(ReadOnlyMemory<byte> body) => body.Span.Trim(" \t\r\n"u8).IsEmpty;

    private TResult Parse<TResult>(ApiResponse response, Func<JsonElement, TResult> read)
    {
        try
        {
            using var document = IsBlank(response.Body) ? JsonDocument.Parse("null") : JsonDocument.Parse(response.Body);
            return read(document.RootElement);
        }
        catch (JsonException ex)
        {
            throw InvalidResponse(response, _redactor.Redact(ex.Message));
        }
        catch (InvalidOperationException ex)
        {
            throw InvalidResponse(response, _redactor.Redact(ex.Message));
        }
    }

    private PacketApiException InvalidResponse(ApiResponse response, string why) =>
        new("PacketApiInvalidResponse", ErrorKind.InvalidData,
            $"Packet API: {response.Method} {response.Url} returned {(int)response.StatusCode} with a body PacketCluster cannot read: {why}.",
            "Check that -Endpoint / PACKET_API_URL points at the Packet API (not a proxy or another service), then try again.",
            new PacketApiFailure(response.Method, response.Url, response.StatusCode, [], response.RequestId));

    // ---------------------------------------------------------------- sending

    /// <summary>The body as the UTF-8 bytes it came in: read straight from them, never copied into a string first.</summary>
    private sealed record ApiResponse(string Method, string Url, HttpStatusCode StatusCode, ReadOnlyMemory<byte> Body, string? RequestId);

    /// <summary>
    /// One logical call: attempts until success, a non-retryable answer, MaxAttempts, or the retry budget. Only
    /// <paramref name="retryable"/> calls (GET, PUT, DELETE, and read-only POSTs) are ever repeated.
    /// </summary>
    private async Task<ApiResponse> SendAsync(HttpMethod method, string relativeUrl, JsonNode? body, bool retryable, CancellationToken cancellationToken)
    {
        var uri = new Uri(_endpoint, relativeUrl);
        var url = _redactor.RedactUrl(uri);
        var endpointText = _redactor.RedactUrl(_endpoint);
        var display = url.StartsWith(endpointText, StringComparison.Ordinal) ? "/" + url[endpointText.Length..] : url;
        var payload = body?.ToJsonString();
        var firstAttempt = _time.GetUtcNow();

        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var started = _time.GetTimestamp();
            using var request = BuildRequest(method, uri, payload);
            using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptTimeout.CancelAfter(_options.Timeout);

            PacketApiException failure;
            DateTimeOffset? rateLimitReset = null;
            TimeSpan? retryAfter = null;
            string outcome;
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptTimeout.Token).ConfigureAwait(false);
                var bytes = await response.Content.ReadAsByteArrayAsync(attemptTimeout.Token).ConfigureAwait(false);
                var requestId = Header(response, "X-Request-Id");
                var elapsed = _time.GetElapsedTime(started);
                _log.Debug($"Packet API: {method} {display} returned {(int)response.StatusCode} in {elapsed.TotalMilliseconds:0} ms"
                    + (requestId is null ? "" : $" (request id {requestId})"));
                if (response.IsSuccessStatusCode)
                    return new ApiResponse(method.Method, url, response.StatusCode, bytes, requestId);

                rateLimitReset = _retry.ParseRateLimitReset(Header(response, "X-RateLimit-Reset"));
                retryAfter = response.Headers.RetryAfter?.Delta;
                failure = MapStatus(method.Method, url, response.StatusCode, response.ReasonPhrase, Encoding.UTF8.GetString(bytes), requestId, rateLimitReset, attempt);
                outcome = $"returned {(int)response.StatusCode}";
                if (!PacketRetryPolicy.IsRetryableStatus(response.StatusCode))
                    throw failure;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException ex)
            {
                failure = Transport(method.Method, url, ex, timedOut: true, retryable, attempt);
                outcome = $"timed out after {_options.Timeout.TotalSeconds:0.#} s";
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                failure = Transport(method.Method, url, ex, timedOut: false, retryable, attempt);
                outcome = $"failed ({_redactor.Redact(ex.Message)})";
            }

            if (!retryable || attempt >= _retry.MaxAttempts)
                throw failure;
            // X-RateLimit-* ride on every response (packngo populateRate); only a 429 means "wait for the window".
            var delay = _retry.DelayBeforeRetry(attempt, failure is PacketApiRateLimitedException ? rateLimitReset : null, retryAfter);
            if (!_retry.FitsBudget(firstAttempt, delay))
                throw failure;
            _log.Verbose($"Packet API: {method} {display} {outcome}; retry {attempt} of {_retry.MaxAttempts - 1} in {delay.TotalSeconds:0.0} s");
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private HttpRequestMessage BuildRequest(HttpMethod method, Uri uri, string? payload)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.TryAddWithoutValidation("X-Auth-Token", _options.ApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.TryAddWithoutValidation("X-Consumer-Token", _options.ConsumerToken);
        request.Headers.TryAddWithoutValidation("User-Agent", _options.UserAgent);
        if (payload is not null)
            request.Content = new StringContent(payload, Encoding.UTF8) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    // ---------------------------------------------------------------- error mapping (the one place status codes become types)

    private PacketApiException MapStatus(string method, string url, HttpStatusCode status, string? reason, string body, string? requestId,
        DateTimeOffset? rateLimitReset, int attempts)
    {
        var apiErrors = ApiErrors(body);
        var failure = new PacketApiFailure(method, url, status, apiErrors, requestId);
        var apiText = string.Join(", ", apiErrors);
        var code = (int)status;
        var described = $"{method} {url} returned {code} {reason ?? status.ToString()}"
            + (apiText.Length > 0 ? $": {apiText}" : "")
            + (requestId is null ? "" : $" (request id {requestId})")
            + (attempts > 1 ? $" after {attempts} attempts" : "");

        return code switch
        {
            401 => new PacketApiUnauthorizedException("PacketApiUnauthorized", ErrorKind.AuthenticationError,
                $"The Packet API rejected the API key: {described}. Check the key, or run Connect-PacketApi with a valid one.",
                "Run Connect-PacketApi with a valid API key (or set PACKET_API_KEY).", failure),
            403 => new PacketApiForbiddenException("PacketApiForbidden", ErrorKind.PermissionDenied,
                $"The Packet API denied access: {described}. Check that the key has access to this project (a device whose provisioning failed also answers 403).",
                "Check that the API key may use this project (Connect-PacketApi -ProjectId), and that the device did not fail to provision.", failure),
            404 => new PacketApiNotFoundException("PacketApiNotFound", ErrorKind.ObjectNotFound, $"Not found in the Packet API: {described}.",
                "Check the id or name; it may have been deleted (Get-PacketDevice lists the project's devices).", failure),
            422 => new PacketApiValidationException("PacketApiValidation", ErrorKind.InvalidArgument,
                apiText.Length > 0 ? apiText : $"The Packet API refused {method} {url} (422) without saying why.",
                "Fix the request as the API says (plan, metro, operating system, names), then try again.", failure),
            429 => new PacketApiRateLimitedException("PacketApiRateLimited", ErrorKind.ConnectionError,
                $"The Packet API is rate limiting this key: {described}."
                + (rateLimitReset is { } reset ? $" The limit resets at {reset.UtcDateTime:u}." : " Wait a minute and try again."),
                "Wait until the rate limit resets, then run the command again.", failure, rateLimitReset),
            >= 500 => new PacketApiServerException("PacketApiServerError", ErrorKind.ConnectionError,
                $"The Packet API failed: {described}. Try again later; if it persists, check https://status.equinixmetal.com.",
                "Try again later; if it persists, check https://status.equinixmetal.com.", failure),
            _ => new PacketApiException("PacketApiError", ErrorKind.InvalidOperation, $"Packet API: {described}.",
                "Read the API's answer in the message and try again; if it persists, contact Equinix support with the request id.", failure),
        };
    }

    private PacketApiConnectionException Transport(string method, string url, Exception exception, bool timedOut, bool retryable, int attempts)
    {
        var failure = new PacketApiFailure(method, url, null, [], null);
        var what = timedOut
            ? $"The Packet API did not answer {method} {url} within {_options.Timeout.TotalSeconds:0.#} s"
            : $"Could not reach the Packet API: {method} {url} failed: {_redactor.Redact(exception.Message)}";
        var message = what
            + (attempts > 1 ? $" (after {attempts} attempts)" : "")
            + (retryable ? "." : ". The request may still have taken effect.")
            + $" Check the network and the endpoint ({_endpoint.Host}).";
        return new PacketApiConnectionException(timedOut ? "PacketApiTimeout" : "PacketApiConnectionFailed",
            timedOut ? ErrorKind.OperationTimeout : ErrorKind.ConnectionError, message,
            $"Check the network and that the Packet API at {_endpoint.Host} answers, then run the command again.", failure, _redactor.SafeInner(exception));
    }

    /// <summary>The API's text: <c>errors[]</c> and/or <c>error</c> (the spec says either may be set); short non-JSON bodies as they are.</summary>
    private IReadOnlyList<string> ApiErrors(string body)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(body)) return errors;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array)
                    foreach (var item in list.EnumerateArray())
                        errors.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText());
                foreach (var name in new[] { "error", "message" })
                    if (root.TryGetProperty(name, out var single) && single.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(single.GetString()))
                        errors.Add(single.GetString()!);
            }
        }
        catch (JsonException)
        {
            var text = body.Trim();
            if (text.Length <= 300 && !text.StartsWith('<')) errors.Add(text);
        }
        return errors.Select(e => _redactor.Redact(e.Trim())).Where(e => e.Length > 0).ToArray();
    }

    // ---------------------------------------------------------------- URLs

    private static string Id(string value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new PacketClusterException("PacketApiIdMissing", ErrorKind.InvalidArgument, $"A Packet API call needs {name}, but it is empty.", "Pass the missing value (e.g. -ProjectId to Connect-PacketApi).");
        return Uri.EscapeDataString(value.Trim());
    }

    /// <summary>Query string builder; values are escaped, list separators (commas) are kept readable.</summary>
    private sealed class Query
    {
        private readonly List<KeyValuePair<string, string>> _pairs = [];

        public Query Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value)) _pairs.Add(new(name, Uri.EscapeDataString(value)));
            return this;
        }

        public Query AddList(string name, IEnumerable<string>? values)
        {
            var list = values?.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => Uri.EscapeDataString(v.Trim())).ToArray() ?? [];
            if (list.Length > 0) _pairs.Add(new(name, string.Join(",", list)));
            return this;
        }

        public Query Clone()
        {
            var copy = new Query();
            copy._pairs.AddRange(_pairs);
            return copy;
        }

        public override string ToString() => _pairs.Count == 0 ? "" : "?" + string.Join("&", _pairs.Select(p => p.Key + "=" + p.Value));

        public static implicit operator string(Query query) => query.ToString();
    }
}
