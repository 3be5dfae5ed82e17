//! One declaration per setting: its name, type, default, range and documentation, from which
//! the section's struct, its `Default` and its range check all come (`settings!`).

/// A number's allowed range, as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// Dotted path (`walking.speed_m_s`).
    pub field: String,
    /// The value configured.
    pub value: f64,
    /// Lowest allowed.
    pub lo: f64,
    /// Highest allowed.
    pub hi: f64,
}

impl Range {
    /// Out of range, a message naming the field and the range.
    pub fn check(&self) -> Result<(), String> {
        if self.value.is_finite() && (self.lo..=self.hi).contains(&self.value) {
            Ok(())
        } else {
            Err(format!(
                "{} must be between {} and {}, got {}",
                self.field, self.lo, self.hi, self.value
            ))
        }
    }
}

/// One declared setting, for the tests that every number has a range and every setting is
/// documented in `config/paradero.toml`.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    /// Field name.
    pub name: &'static str,
    /// Its Rust type, as written.
    pub ty: &'static str,
    /// Whether it has a range.
    pub ranged: bool,
}

/// Numbers as `f64`, for range checks (every setting's number fits).
pub trait AsF64: Copy {
    /// The value as `f64`.
    fn as_f64(self) -> f64;
}

macro_rules! as_f64 {
    ($($t:ty),*) => {$(
        impl AsF64 for $t {
            #[allow(clippy::cast_precision_loss, clippy::cast_lossless)]
            fn as_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
as_f64!(u8, u32, u64, usize, f64);

/// Declares a configuration section: each field with its documentation, type, default and
/// (for numbers) range — `name: type = default, in lo..=hi;`. Generates the struct (read with
/// unknown fields refused and missing ones defaulted), its `Default`, its `ranges` and its
/// `DECLARED` list.
macro_rules! settings {
    (
        $(#[doc = $sdoc:literal])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident : $ty:ty = $default:expr $(, in $lo:literal ..= $hi:literal)?
            );* $(;)?
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, PartialEq, serde::Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* }
            }
        }

        impl $name {
            /// Every field, as declared.
            pub const DECLARED: &'static [$crate::settings::Declared] = &[
                $( $crate::settings::Declared {
                    name: stringify!($field),
                    ty: stringify!($ty),
                    ranged: false $( || { let _ = $lo; true } )?,
                }, )*
            ];

            /// This section's numbers with their ranges, each named `section.field`.
            #[allow(unused_variables)]
            pub fn ranges(&self, section: &str) -> Vec<$crate::settings::Range> {
                #[allow(unused_mut)]
                let mut out = Vec::new();
                $( $(
                    // The bounds have the field's type: a bound it cannot hold does not compile.
                    let (lo, hi): ($ty, $ty) = ($lo, $hi);
                    out.push($crate::settings::Range {
                        field: format!("{section}.{}", stringify!($field)),
                        value: $crate::settings::AsF64::as_f64(self.$field),
                        lo: $crate::settings::AsF64::as_f64(lo),
                        hi: $crate::settings::AsF64::as_f64(hi),
                    });
                )? )*
                out
            }
        }
    };
}
