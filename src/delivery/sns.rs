//! The SNS side of delivery (feature `aws`): [`Publisher`] over the SNS API.

use super::{OutgoingMessage, Publisher};

/// Publishes through the SNS API.
pub struct SnsPublisher {
    client: aws_sdk_sns::Client,
}

impl SnsPublisher {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        SnsPublisher { client: aws_sdk_sns::Client::new(config) }
    }
}

impl Publisher for SnsPublisher {
    async fn publish(&self, topic_arn: &str, msg: &OutgoingMessage) -> Result<String, String> {
        use aws_sdk_sns::types::MessageAttributeValue;
        let mut req = self
            .client
            .publish()
            .topic_arn(topic_arn)
            .subject(&msg.subject)
            .message(&msg.message)
            .message_structure("json");
        for (k, v) in &msg.attributes {
            let attr = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .map_err(|e| format!("message attribute {k}: {e}"))?;
            req = req.message_attributes(k, attr);
        }
        let out = req.send().await.map_err(|e| {
            use aws_sdk_sns::error::ProvideErrorMetadata as _;
            match e.code() {
                Some(code) => format!("{code}: {}", e.message().unwrap_or("no message")),
                None => format!("{}", aws_smithy_types::error::display::DisplayErrorContext(&e)),
            }
        })?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}
