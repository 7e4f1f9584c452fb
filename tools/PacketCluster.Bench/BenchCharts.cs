using System.Text.Json.Nodes;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace PacketCluster.Bench;

/// <summary>
/// The pictures README links: time to every Node Ready against the number of workers, ours beside the 2019 flow
/// (from clusters.json), and the manager's resident memory against machines provisioned (from manager-memory.json).
/// SVG through OxyPlot's own exporter: managed code only.
/// </summary>
internal static class BenchCharts
{
    public static void Draw(string directory)
    {
        var clusters = Path.Combine(directory, "clusters.json");
        if (File.Exists(clusters)) Export(TimeToReady(JsonNode.Parse(File.ReadAllText(clusters))!.AsArray()), Path.Combine(directory, "time-to-ready.svg"));
        var memory = Path.Combine(directory, "parts", "manager-memory.json");
        if (File.Exists(memory)) Export(ManagerMemory(JsonNode.Parse(File.ReadAllText(memory))!.AsObject()), Path.Combine(directory, "manager-memory.svg"));
    }

    private static PlotModel TimeToReady(JsonArray sizes)
    {
        var model = Model("Time to every Node Ready (1 control plane + N workers, booting on, D = 8 s)", "workers (N)", "seconds");
        var ours = Line("PacketCluster (New-PacketCluster defaults)", MarkerType.Circle);
        var seed = Line("2019 flow (model, same simulator, same run)", MarkerType.Square);
        var target = Line("target: D + control-plane boot + 15 s", MarkerType.None);
        target.LineStyle = LineStyle.Dash;
        foreach (var size in sizes.OfType<JsonObject>().Where(s => s["controlPlanes"]!.GetValue<int>() == 1).OrderBy(s => s["workers"]!.GetValue<int>()))
        {
            var n = size["workers"]!.GetValue<int>();
            ours.Points.Add(new DataPoint(n, size["ours"]!.GetValue<double>()));
            target.Points.Add(new DataPoint(n, size["target"]!.GetValue<double>()));
            if (size["seed2019"] is JsonValue seconds) seed.Points.Add(new DataPoint(n, seconds.GetValue<double>()));
        }
        model.Series.Add(ours);
        model.Series.Add(seed);
        model.Series.Add(target);
        return model;
    }

    private static PlotModel ManagerMemory(JsonObject memory)
    {
        var model = Model("Manager resident memory while converging from scratch", "machines provisioned", "MB");
        var rss = Line("PacketCluster.Manager (its /metrics)", MarkerType.Circle);
        foreach (var sample in memory["samples"]!.AsArray().OfType<JsonObject>())
            rss.Points.Add(new DataPoint(sample["machines"]!.GetValue<int>(), sample["mb"]!.GetValue<double>()));
        var target = Line($"target {memory["targetMb"]!.GetValue<double>():N0} MB", MarkerType.None);
        target.LineStyle = LineStyle.Dash;
        var last = rss.Points.Count > 0 ? rss.Points.Max(p => p.X) : 0;
        target.Points.Add(new DataPoint(0, memory["targetMb"]!.GetValue<double>()));
        target.Points.Add(new DataPoint(Math.Max(last, 1), memory["targetMb"]!.GetValue<double>()));
        model.Series.Add(rss);
        model.Series.Add(target);
        return model;
    }

    private static PlotModel Model(string title, string x, string y)
    {
        var model = new PlotModel { Title = title, TitleFontSize = 14, Background = OxyColors.White };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = x, Minimum = 0, MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = y, Minimum = 0, MajorGridlineStyle = LineStyle.Dot });
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.TopLeft, LegendBackground = OxyColor.FromAColor(220, OxyColors.White) });
        return model;
    }

    private static LineSeries Line(string title, MarkerType marker) => new() { Title = title, MarkerType = marker, MarkerSize = 4, StrokeThickness = 2 };

    private static void Export(PlotModel model, string path)
    {
        using var stream = File.Create(path);
        new SvgExporter { Width = 800, Height = 480 }.Export(model, stream);
        Console.WriteLine($"Bench: drew {path}");
    }
}
