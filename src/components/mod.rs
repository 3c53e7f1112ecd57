//! Reusable views.

mod field;
mod form_error;

pub use field::Field;
pub use form_error::FormError;
