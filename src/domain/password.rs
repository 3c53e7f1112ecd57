use std::fmt;

/// A password as the user typed it: 8 to 128 characters (Unicode code points), never trimmed or
/// truncated. It has no `Serialize` and a redacted `Debug`, so it cannot end up in a response or
/// a log by accident.
#[derive(Clone)]
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least {min} characters", min = Password::MIN_CHARS)]
    TooShort,
    #[error("must be at most {max} characters", max = Password::MAX_CHARS)]
    TooLong,
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: String) -> Result<Self, PasswordError> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            Err(PasswordError::TooShort)
        } else if chars > Self::MAX_CHARS {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(input))
        }
    }

    /// The password itself, for hashing or verifying only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_counted_in_code_points() {
        assert_eq!(
            Password::parse("1234567".into()).unwrap_err(),
            PasswordError::TooShort
        );
        assert!(Password::parse("12345678".into()).is_ok());
        // Eight four-byte characters: 32 bytes, but 8 code points.
        assert!(Password::parse("😀".repeat(8)).is_ok());
        assert_eq!(
            Password::parse("😀".repeat(7)).unwrap_err(),
            PasswordError::TooShort
        );
        assert!(Password::parse("é".repeat(128)).is_ok());
        assert_eq!(
            Password::parse("é".repeat(129)).unwrap_err(),
            PasswordError::TooLong
        );
    }

    #[test]
    fn is_kept_exactly_as_typed() {
        let password = Password::parse("  spaces count  ".into()).unwrap();
        assert_eq!(password.expose(), "  spaces count  ");
    }

    #[test]
    fn debug_output_is_redacted() {
        let password = Password::parse("correct horse".into()).unwrap();
        assert_eq!(format!("{password:?}"), "Password(..)");
    }
}
