using System.Text.RegularExpressions;

namespace PacketCluster.Engine.Metal;

/// <summary>A metro or a facility, for calls that take either (the capacity check).</summary>
public sealed record PacketLocation
{
    private PacketLocation(string code, bool isMetro)
    {
        Code = code;
        IsMetro = isMetro;
    }

    public string Code { get; }
    public bool IsMetro { get; }

    public static PacketLocation Metro(string code) => new(code, true);
    public static PacketLocation Facility(string code) => new(code, false);

    /// <summary>
    /// Metro codes are two letters ("sv", "da"); facility codes carry digits ("ewr1", "sv15"). Anything else
    /// (a metro id, "any") is taken as a metro, the non-deprecated form.
    /// </summary>
    public static PacketLocation Parse(string code) =>
        Regex.IsMatch(code, "^[A-Za-z]{2,3}[0-9]+$") ? Facility(code) : Metro(code);

    public override string ToString() => (IsMetro ? "metro " : "facility ") + Code;
}
