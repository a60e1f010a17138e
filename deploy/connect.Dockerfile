# The Kafka Connect image of deploy/k8s/base/connect.yaml: Debezium's Connect image (PostgreSQL
# source, JDBC sink, Apicurio converters; ENABLE_APICURIO_CONVERTERS=true) plus statewarden's
# FieldsToJson transform, a plugin of its own outside /kafka/connect: with
# ENABLE_APICURIO_CONVERTERS the image links the converter's jars into every directory under
# /kafka/connect when it starts, and stops when one is not writable (as a directory COPY makes is
# not: it belongs to root). Build it from the repository root:
#   ./mvnw -B -pl connectors -am package -DskipTests
#   docker build -f deploy/connect.Dockerfile -t statewarden-connect:0.1.0-SNAPSHOT .
ARG BASE=quay.io/debezium/connect:3.6.0.Final
FROM ${BASE}
COPY connectors/target/statewarden-connectors-0.1.0-SNAPSHOT.jar /kafka/statewarden-plugins/statewarden-connectors/
ENV CONNECT_PLUGIN_PATH=/kafka/connect,/kafka/statewarden-plugins
