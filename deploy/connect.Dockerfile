# The Kafka Connect image of deploy/k8s/base/connect.yaml: Debezium's Connect image (PostgreSQL
# source, JDBC sink, Apicurio converters; ENABLE_APICURIO_CONVERTERS=true) plus statewarden's
# FieldsToJson transform. Not built on the machines this project is developed on.
#   ./mvnw -B -pl connectors -am package -DskipTests
#   docker build -f deploy/connect.Dockerfile -t statewarden-connect:0.1.0-SNAPSHOT .
FROM quay.io/debezium/connect:3.6.0.Final
COPY connectors/target/statewarden-connectors-0.1.0-SNAPSHOT.jar /kafka/connect/statewarden-connectors/
