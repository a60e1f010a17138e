package io.statewarden.engine;

/** Where an input record came from (topic, partition, offset); copied into its audit record. */
public record InputRef(String topic, int partition, long offset) {}
