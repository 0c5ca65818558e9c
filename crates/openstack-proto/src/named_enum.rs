//! One definition for the fieldless enums whose variants each stand for one fixed name.

/// Defines a fieldless enum whose every variant has one fixed name (`Variant = "name"`), a
/// method returning that name (named and documented after the enum), and `Display` and
/// `Serialize` writing it.
///
/// The enum is always `Clone, Copy, Debug, PartialEq, Eq, Hash` (the method takes `self`); give
/// any further derives and attributes with its documentation. Variants may go one a line with
/// their own documentation, or several a line when the enum's documentation says what they are.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $enum:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $name:literal ),+ $(,)?
        }
        $(#[$fn_meta:meta])*
        pub fn $fn:ident;
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $enum {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $enum {
            $(#[$fn_meta])*
            pub fn $fn(self) -> &'static str {
                match self {
                    $( Self::$variant => $name, )+
                }
            }
        }

        impl ::std::fmt::Display for $enum {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.$fn())
            }
        }

        impl ::serde::Serialize for $enum {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.$fn())
            }
        }
    };
}
