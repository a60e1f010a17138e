#!/bin/sh
exec java -Xmx256m -XX:TieredStopAtLevel=1 -cp '/opt/kafka/libs/*' -Dlogback.configurationFile=/opt/kafka/logback.xml org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
