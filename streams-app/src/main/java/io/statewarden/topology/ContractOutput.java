package io.statewarden.topology;

import io.statewarden.engine.Output;
import org.apache.avro.specific.SpecificRecord;

/**
 * An engine output on its way to its sink, as the topology forwards it: {@link ContractSerializer}
 * writes its Avro binary straight from the {@link Output} ({@link ContractAvro}), so no Avro record
 * is built on the stream thread. {@link #avro} builds the record ({@link AvroMapping#record}) where
 * one is needed: Apicurio's path (a configuration the direct writer does not cover), the first
 * schema lookup of a topic, and tests.
 *
 * @param processedAt when the stream thread processed the input (an audit record's {@code
 *     processedAt})
 * @param instance the instance id an audit record names
 */
public record ContractOutput(Output output, long processedAt, String instance) {

  /** The Avro record of the contract for this output (built on each call). */
  public SpecificRecord avro() {
    return AvroMapping.record(output, processedAt, instance);
  }

  /** The Avro record for a {@code ContractOutput}; anything else as it is. */
  public static Object avro(Object value) {
    return value instanceof ContractOutput c ? c.avro() : value;
  }
}
