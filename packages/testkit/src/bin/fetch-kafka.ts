#!/usr/bin/env node
// Fetches the selected Kafka version's jars (KAFKA_VERSION or the pom's pin) into the cache.
import { ensureKafkaRuntime } from '../kafka-runtime.js';

const runtime = await ensureKafkaRuntime();
process.stdout.write(`Apache Kafka ${runtime.version} jars ready in ${runtime.libDir}\n`);
