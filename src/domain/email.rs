use std::fmt;

/// An email address that is plausible enough to send to: trimmed, lower-cased, with one `@`
/// between a local part and a dotted domain, within RFC 5321's length limits. The local part is
/// an RFC 5322 dot-atom (letters and digits, any script as RFC 6531 allows, and
/// ``!#$%&'*+-/=?^_`{|}~``, dots between them): no `<`, `>`, double quotes, parentheses,
/// commas, white space or control characters, which only quoted local parts may hold and which
/// let an address pass for markup or for several addresses. Stored lower-cased (and, on the
/// server, in Unicode NFC, so that one address typed with composed or decomposed accents is one
/// account), so comparisons are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters", max = Email::MAX_CHARS)]
    TooLong,
    #[error("must be an email address like name@example.com")]
    Implausible,
}

impl Email {
    /// RFC 5321's limit on a forward path.
    pub const MAX_CHARS: usize = 254;
    /// RFC 5321's limit on the local part.
    pub const MAX_LOCAL_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let email = normalize(input.trim()).to_lowercase();
        if email.is_empty() {
            return Err(EmailError::Empty);
        }
        if email.chars().count() > Self::MAX_CHARS {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = email.rsplit_once('@').ok_or(EmailError::Implausible)?;
        let plausible = !local.is_empty()
            && local.chars().count() <= Self::MAX_LOCAL_CHARS
            && local.split('.').all(|atom| {
                !atom.is_empty()
                    && atom
                        .chars()
                        .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c))
            })
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if plausible {
            Ok(Self(email))
        } else {
            Err(EmailError::Implausible)
        }
    }
}

/// Unicode NFC: composed and decomposed spellings of one address are one address.
#[cfg(feature = "ssr")]
fn normalize(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

/// In the browser the address is only checked; the server normalizes what it stores.
#[cfg(not(feature = "ssr"))]
fn normalize(text: &str) -> String {
    text.to_owned()
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lower_cases() {
        let email = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(email.as_ref(), "ada.lovelace@example.com");
    }

    #[test]
    fn accepts_plausible_addresses() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "user@xn--bcher-kva.example",
            "josé@exämple.de",
            "o'brien@example.ie",
            "a!#$%&'*+-/=?^_`{|}~z@example.com",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn composed_and_decomposed_accents_are_one_address() {
        let composed = Email::parse("jos\u{e9}@ex\u{e4}mple.de").unwrap();
        let decomposed = Email::parse("jose\u{301}@exa\u{308}mple.de").unwrap();
        assert_eq!(composed, decomposed);
        assert_eq!(composed.as_ref(), "jos\u{e9}@ex\u{e4}mple.de");
    }

    #[test]
    fn refuses_implausible_addresses() {
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
        for bad in [
            "plainaddress",
            "@example.com",
            "user@",
            "user@localhost",
            "user@exa mple.com",
            "us er@example.com",
            "user@@example.com",
            "user@example..com",
            "user@-example.com",
            "user@example.com\u{0}",
            "<script>@example.com",
            "a<b@example.com",
            "a>b@example.com",
            "\"quoted\"@example.com",
            "a\"b@example.com",
            "a,b@example.com",
            "a(comment)@example.com",
            "a;b@example.com",
            "a\\b@example.com",
            "a\u{7f}b@example.com",
            "a\u{1b}b@example.com",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "a@exam<ple.com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Implausible), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
