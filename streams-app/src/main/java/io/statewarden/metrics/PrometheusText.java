package io.statewarden.metrics;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The Prometheus text format (0.0.4) of a registry, written by the Prometheus Java client. */
public final class PrometheusText {
  private static final PrometheusTextFormatWriter WRITER = PrometheusTextFormatWriter.create();

  /** The value of the response's {@code Content-Type}. */
  public static final String CONTENT_TYPE = WRITER.getContentType();

  private PrometheusText() {}

  /**
   * Scrapes {@code registry} now.
   *
   * @return the exposition, UTF-8
   */
  public static byte[] write(PrometheusRegistry registry) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      WRITER.write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write metrics to memory", e); // cannot happen
    }
    return out.toByteArray();
  }
}
