// Interoperability probe: MirrorMaker 2's own classes, driven from MirrorKit's tests.
//
// It lives in MM2's package only so it may call the package-private recordKey()/recordValue() that
// MM2 itself uses to write its internal topics; it is compiled at test time against the jars of the
// Kafka version under test and never shipped.
//
//   encode checkpoint GROUP TOPIC PARTITION UPSTREAM DOWNSTREAM METADATA   -> "<keyhex> <valuehex>"
//   encode offset-sync TOPIC PARTITION UPSTREAM DOWNSTREAM                 -> "<keyhex> <valuehex>"
//   encode heartbeat SOURCE TARGET TIMESTAMP                               -> "<keyhex> <valuehex>"
//   read BOOTSTRAP TOPIC checkpoint|offset-sync|heartbeat                  -> one JSON object per record
//   translate BOOTSTRAP REMOTE_ALIAS GROUP [key=value ...]                 -> "topic<TAB>partition<TAB>offset" lines
package org.apache.kafka.connect.mirror;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class MirrorInterop {
    private MirrorInterop() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "encode" -> encode(args);
            case "read" -> read(args[1], args[2], args[3]);
            case "translate" -> translate(args);
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    private static void encode(String[] a) {
        HexFormat hex = HexFormat.of();
        byte[] key;
        byte[] value;
        switch (a[1]) {
            case "checkpoint" -> {
                Checkpoint c = new Checkpoint(a[2], new TopicPartition(a[3], Integer.parseInt(a[4])),
                        Long.parseLong(a[5]), Long.parseLong(a[6]), a[7]);
                key = c.recordKey();
                value = c.recordValue();
            }
            case "offset-sync" -> {
                OffsetSync s = new OffsetSync(new TopicPartition(a[2], Integer.parseInt(a[3])),
                        Long.parseLong(a[4]), Long.parseLong(a[5]));
                key = s.recordKey();
                value = s.recordValue();
            }
            case "heartbeat" -> {
                Heartbeat h = new Heartbeat(a[2], a[3], Long.parseLong(a[4]));
                key = h.recordKey();
                value = h.recordValue();
            }
            default -> throw new IllegalArgumentException("unknown record kind " + a[1]);
        }
        System.out.println(hex.formatHex(key) + " " + hex.formatHex(value));
    }

    private static String json(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') out.append('\\').append(ch);
            else if (ch < 0x20) out.append(String.format("\\u%04x", (int) ch));
            else out.append(ch);
        }
        return out.append('"').toString();
    }

    private static void read(String bootstrap, String topic, String kind) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("enable.auto.commit", "false");
        props.put("isolation.level", "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.currentTimeMillis() + 30_000;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                if (System.currentTimeMillis() > deadline) throw new IllegalStateException("timed out reading " + topic);
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    System.out.println(describe(kind, r));
                }
            }
        }
    }

    private static String describe(String kind, ConsumerRecord<byte[], byte[]> r) {
        String where = "\"partition\":" + r.partition() + ",\"offset\":" + r.offset();
        try {
            return switch (kind) {
                case "checkpoint" -> {
                    Checkpoint c = Checkpoint.deserializeRecord(r);
                    yield "{" + where + ",\"group\":" + json(c.consumerGroupId()) + ",\"topic\":"
                            + json(c.topicPartition().topic()) + ",\"topicPartition\":" + c.topicPartition().partition()
                            + ",\"upstreamOffset\":\"" + c.upstreamOffset() + "\",\"downstreamOffset\":\""
                            + c.downstreamOffset() + "\",\"metadata\":" + json(c.metadata()) + "}";
                }
                case "offset-sync" -> {
                    OffsetSync s = OffsetSync.deserializeRecord(r);
                    yield "{" + where + ",\"topic\":" + json(s.topicPartition().topic()) + ",\"topicPartition\":"
                            + s.topicPartition().partition() + ",\"upstreamOffset\":\"" + s.upstreamOffset()
                            + "\",\"downstreamOffset\":\"" + s.downstreamOffset() + "\"}";
                }
                case "heartbeat" -> {
                    Heartbeat h = Heartbeat.deserializeRecord(r);
                    yield "{" + where + ",\"source\":" + json(h.sourceClusterAlias()) + ",\"target\":"
                            + json(h.targetClusterAlias()) + ",\"timestamp\":\"" + h.timestamp() + "\"}";
                }
                default -> throw new IllegalArgumentException("unknown record kind " + kind);
            };
        } catch (RuntimeException e) {
            return "{" + where + ",\"error\":" + json(e.getClass().getSimpleName() + ": " + e.getMessage()) + "}";
        }
    }

    private static void translate(String[] a) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", a[1]);
        for (int i = 4; i < a.length; i++) {
            int eq = a[i].indexOf('=');
            props.put(a[i].substring(0, eq), a[i].substring(eq + 1));
        }
        Map<TopicPartition, OffsetAndMetadata> offsets =
                RemoteClusterUtils.translateOffsets(props, a[2], a[3], Duration.ofSeconds(30));
        offsets.entrySet().stream()
                .sorted((x, y) -> x.getKey().toString().compareTo(y.getKey().toString()))
                .forEach(e -> System.out.println(e.getKey().topic() + "\t" + e.getKey().partition() + "\t"
                        + e.getValue().offset()));
    }
}
