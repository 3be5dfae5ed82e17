//! Dense `u32` indices into the timetable's flat vectors. External GTFS ids are mapped to
//! these once, at load time, so that routing never hashes a string.

macro_rules! idx {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub u32);

        impl $name {
            /// The index as a `usize`, for indexing vectors.
            #[inline(always)]
            pub fn idx(self) -> usize {
                self.0 as usize
            }
            /// Builds the index of the `i`-th element of a vector.
            ///
            /// # Panics
            /// If `i` does not fit in `u32`; the builder checks sizes before calling this.
            #[inline(always)]
            pub fn new(i: usize) -> Self {
                Self(u32::try_from(i).expect("index fits in u32"))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

idx!(
    /// A stop (GTFS `stops.txt` row with `location_type` 0 or a station used as a stop).
    StopIdx
);
idx!(
    /// A routing pattern ("route" in the RAPTOR paper): trips with one stop sequence that never overtake.
    PatternIdx
);
idx!(
    /// A GTFS trip: a scheduled vehicle run or a frequency template.
    TripIdx
);
idx!(
    /// A GTFS route (what riders call a line).
    RouteIdx
);
idx!(
    /// A GTFS agency.
    AgencyIdx
);
idx!(
    /// A deduplicated set of service days.
    ServiceIdx
);
idx!(
    /// A shape (polyline) from `shapes.txt`.
    ShapeIdx
);
idx!(
    /// One loaded feed.
    FeedIdx
);
idx!(
    /// A fare from `fare_attributes.txt`.
    FareIdx
);
