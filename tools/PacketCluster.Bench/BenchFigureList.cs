using System.Text.Json;
using System.Text.Json.Nodes;

namespace PacketCluster.Bench;

/// <summary>
/// Figures as build/BenchFigures.ps1 writes them ({figure, value, unit, target, ratio, runs, min, max, note}; value is
/// the median of the samples, ratio = value / target, at most 1 meets it), for Bench.ps1's one results table.
/// </summary>
internal sealed class BenchFigureList
{
    private readonly JsonArray _figures = [];

    public void Add(string figure, IReadOnlyList<double> samples, string unit, double target, string note)
    {
        var value = Median(samples);
        Append(figure, value, unit, target, value / target, samples.Count, samples.Min(), samples.Max(), note);
    }

    /// <summary>The middle sample, or the mean of the two middle ones (as Get-Median in build/BenchFigures.ps1).</summary>
    public static double Median(IReadOnlyList<double> samples)
    {
        var sorted = samples.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>
    /// A count that must equal its target (creates from scratch, none on a restart): ratio (value + 1) / (target + 1),
    /// so a target of 0 still has a ratio and one extra device misses it.
    /// </summary>
    public void Count(string figure, int value, string unit, int target, string note)
    {
        var ratio = (value + 1.0) / (target + 1.0);
        Append(figure, value, unit, target, ratio, 1, value, value, (note.Length > 0 ? note + "; " : "") + "a count: ratio (value + 1) / (target + 1)");
    }

    private void Append(string figure, double value, string unit, double target, double ratio, int runs, double min, double max, string note)
    {
        _figures.Add(new JsonObject
        {
            ["figure"] = figure, ["value"] = Math.Round(value, 3), ["unit"] = unit, ["target"] = target, ["ratio"] = Math.Round(ratio, 3),
            ["runs"] = runs, ["min"] = Math.Round(min, 3), ["max"] = Math.Round(max, 3), ["note"] = note,
        });
        Console.WriteLine($"Bench: {figure}: {value:N2} {unit}; target {target:N2} {unit}; ratio {ratio:N2}{(note.Length > 0 ? " — " + note : "")}");
    }

    public async Task WriteAsync(string path) =>
        await File.WriteAllTextAsync(path, _figures.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}
