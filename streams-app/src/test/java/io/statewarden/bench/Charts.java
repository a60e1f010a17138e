package io.statewarden.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The plots of docs/benchmarks.md, drawn by the runner into {@code bench.charts} (PNG, 900x500), so
 * the figures and the tables come from the same run. Nothing is drawn when {@code bench.charts} is
 * empty.
 */
final class Charts {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 500;

  private Charts() {}

  /** Horizontal bars, one per label (in the map's order). */
  static void bars(String file, String title, String valueAxis, Map<String, Double> values) {
    DefaultCategoryDataset d = new DefaultCategoryDataset();
    values.forEach((label, v) -> d.addValue(v, valueAxis, label));
    JFreeChart c =
        ChartFactory.createBarChart(
            title, null, valueAxis, d, PlotOrientation.HORIZONTAL, false, false, false);
    org.jfree.chart.plot.CategoryPlot p = c.getCategoryPlot();
    p.setBackgroundPaint(Color.WHITE);
    p.setRangeGridlinePaint(Color.LIGHT_GRAY);
    org.jfree.chart.renderer.category.BarRenderer r =
        (org.jfree.chart.renderer.category.BarRenderer) p.getRenderer();
    r.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
    r.setSeriesPaint(0, new Color(0x3A, 0x6E, 0xA5));
    write(file, c);
  }

  /**
   * The latency CDF: for each series, the fraction of records (y) visible within x ms, x on a log
   * axis; {@code sorted} are the latencies in ascending order.
   */
  static void cdf(String file, String title, Map<String, long[]> sorted) {
    XYSeriesCollection d = new XYSeriesCollection();
    sorted.forEach(
        (name, lat) -> {
          XYSeries s = new XYSeries(name, false, true);
          int step = Math.max(1, lat.length / 2000);
          for (int i = 0; i < lat.length; i += step) {
            s.add(Math.max(1, lat[i]), (i + 1) / (double) lat.length);
          }
          if (lat.length > 0) s.add(Math.max(1, lat[lat.length - 1]), 1.0);
          d.addSeries(s);
        });
    JFreeChart c =
        ChartFactory.createXYLineChart(
            title,
            "latency, ms",
            "fraction visible",
            d,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot p = c.getXYPlot();
    LogarithmicAxis x = new LogarithmicAxis("latency, ms (log)");
    x.setAllowNegativesFlag(false);
    p.setDomainAxis(x);
    style(p);
    write(file, c);
  }

  /**
   * A timeline: the left-axis series over seconds (x), and the right-axis series on an axis of
   * their own (e.g. fires/s left, event p99 in ms right).
   */
  static void timeline(
      String file,
      String title,
      String leftAxis,
      Map<String, List<double[]>> left,
      String rightAxis,
      Map<String, List<double[]>> right) {
    JFreeChart c =
        ChartFactory.createXYLineChart(
            title, "seconds", leftAxis, series(left), PlotOrientation.VERTICAL, true, false, false);
    XYPlot p = c.getXYPlot();
    style(p);
    if (!right.isEmpty()) {
      p.setRangeAxis(1, new NumberAxis(rightAxis));
      p.setDataset(1, series(right));
      p.mapDatasetToRangeAxis(1, 1);
      XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
      r.setSeriesPaint(0, new Color(0xC0, 0x30, 0x30));
      r.setSeriesStroke(0, new BasicStroke(2f));
      p.setRenderer(1, r);
    }
    write(file, c);
  }

  private static XYSeriesCollection series(Map<String, List<double[]>> points) {
    XYSeriesCollection d = new XYSeriesCollection();
    points.forEach(
        (name, xy) -> {
          XYSeries s = new XYSeries(name, false, true);
          xy.forEach(p -> s.add(p[0], p[1]));
          d.addSeries(s);
        });
    return d;
  }

  private static void style(XYPlot p) {
    p.setBackgroundPaint(Color.WHITE);
    p.setDomainGridlinePaint(Color.LIGHT_GRAY);
    p.setRangeGridlinePaint(Color.LIGHT_GRAY);
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < 8; i++) r.setSeriesStroke(i, new BasicStroke(2f));
    p.setRenderer(0, r);
  }

  private static void write(String file, JFreeChart chart) {
    String dir = Bench.prop("bench.charts", "");
    if (dir.isBlank()) return;
    try {
      Path out = Path.of(dir).resolve(file);
      Files.createDirectories(out.getParent());
      chart.setBackgroundPaint(Color.WHITE);
      ChartUtils.saveChartAsPNG(out.toFile(), chart, WIDTH, HEIGHT);
      System.out.println("plot: " + out.normalize());
    } catch (IOException e) {
      throw new UncheckedIOException("could not draw " + file, e);
    }
  }
}
