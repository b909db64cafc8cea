package com.warroom.routes.kafka;

import org.apache.camel.component.kafka.consumer.CommitManager;
import org.apache.camel.component.kafka.consumer.DefaultKafkaManualSyncCommit;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.component.kafka.consumer.KafkaManualCommitFactory;

/**
 * The manual commit of the Kafka consumer routes: {@link IncomingRecord#commit} commits each
 * record's offset synchronously (Camel's own {@link DefaultKafkaManualSyncCommit}), and nothing
 * else commits. With Camel's default factory the consumer also commits the last offset of every
 * poll again, a second synchronous round trip to the broker per poll for an offset the route has
 * already committed (5% of the replay's commits at 20 records per poll). A factory of another
 * class makes Camel use its no-op commit manager, so the route's per-record commits are the only
 * ones. Every path of both consumer routes ends in a commit or in an error that seeks back.
 */
public final class CommitPerRecord implements KafkaManualCommitFactory {

    @Override
    public KafkaManualCommit newInstance(CamelExchangePayload exchange, KafkaRecordPayload record, CommitManager commitManager) {
        return new DefaultKafkaManualSyncCommit(exchange, record, commitManager);
    }
}
