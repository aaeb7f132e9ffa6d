use mirubato_core::ApiError;

/// Errors a handler can return: a deliberate API error, or a runtime fault from a binding.
/// Runtime faults become a 500 whose body says nothing about the cause; the cause is logged.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("runtime error: {0}")]
    Runtime(#[from] worker::Error),
    #[error("KV error: {0}")]
    Kv(#[from] worker::kv::KvError),
}

impl EdgeError {
    /// The API error the client sees.
    pub fn into_api_error(self) -> ApiError {
        match self {
            Self::Api(err) => err,
            other => ApiError::internal(other),
        }
    }
}
