//! Reusable views.

mod field;
mod field_message;
mod form_error;

pub use field::Field;
pub use field_message::FieldMessage;
pub use form_error::FormError;
