using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PacketCluster.Engine.Metal;

/// <summary>
/// Lenient reading of API bodies across both eras: unknown fields are ignored, numbers may arrive as strings
/// (capacity quantity, packngo's spot_price_max), lists may be null, and nested objects may be a bare code or slug
/// (see <see cref="CodeOrObjectConverter{T}"/>) or collapsed to <c>{"href":…}</c> (then only Href is set).
/// </summary>
internal static class MetalJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new NullAsEmptyListConverterFactory(), new LenientDateTimeOffsetConverter() },
    };
}

/// <summary>Lets a model be built from a bare string where the API (or an older era) sends a code or slug instead of an object.</summary>
internal interface ICodeReference<TSelf>
{
    static abstract TSelf FromCode(string code);
}

/// <summary>
/// Reads <c>"ewr1"</c> or <c>{"code":"ewr1",…}</c> into the same model. Put on properties, not types, so the object
/// case can call back into the serializer without recursing.
/// </summary>
internal sealed class CodeOrObjectConverter<T> : JsonConverter<T> where T : class, ICodeReference<T>
{
    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                var code = reader.GetString();
                return string.IsNullOrEmpty(code) ? null : T.FromCode(code);
            case JsonTokenType.StartObject:
                return JsonSerializer.Deserialize<T>(ref reader, options);
            case JsonTokenType.StartArray:
                reader.Skip();
                return null;
            default:
                return null;
        }
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, options);
}

/// <summary>Null (or a non-array) becomes an empty list, so models never expose null collections.</summary>
internal sealed class NullAsEmptyListConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(IReadOnlyList<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class Converter<T> : JsonConverter<IReadOnlyList<T>>
    {
        public override bool HandleNull => true;

        public override IReadOnlyList<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.StartArray)
                return JsonSerializer.Deserialize<List<T>>(ref reader, options) ?? [];
            if (reader.TokenType == JsonTokenType.StartObject) reader.Skip();
            return [];
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyList<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.ToArray(), options);
    }
}

/// <summary>Timestamps are RFC 3339; anything unparseable (or "") reads as null instead of failing the whole body.</summary>
internal sealed class LenientDateTimeOffsetConverter : JsonConverter<DateTimeOffset?>
{
    public override bool HandleNull => true;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String
            && DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
            return value;
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
        return null;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue();
        else writer.WriteStringValue(value.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
    }
}
