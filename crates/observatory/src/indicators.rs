//! Indicators: see issue [observatory].
