//! Photos on reports: what arrives is decoded (with limits on size, pixels and memory) and
//! re-encoded as a fresh JPEG, turned upright and at most [`PhotoSettings::max_side`] pixels
//! wide or high, so that no EXIF, GPS position, camera serial or other metadata a phone wrote
//! survives. Only the reporter (with her secret) adds photos; only officials see them; they
//! are erased with the report.

use crate::{Error, Obs, now_unix};
use i18n::Lang;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;
use store::{AddPhoto, NewPhoto, Official, PhotoMeta, Role};

/// Limits on photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoSettings {
    /// Largest upload, bytes.
    pub max_bytes: usize,
    /// Photos per report.
    pub max_per_report: usize,
    /// Longest side kept, pixels (larger photos are scaled down).
    pub max_side: u32,
    /// Largest image accepted to decode, pixels (width × height).
    pub max_pixels: u64,
}

impl Default for PhotoSettings {
    fn default() -> Self {
        PhotoSettings {
            max_bytes: 8 * 1024 * 1024,
            max_per_report: 3,
            max_side: 1600,
            max_pixels: 40_000_000,
        }
    }
}

/// The media types accepted.
pub const ACCEPTED: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// Decodes, turns upright, scales down and re-encodes `bytes` as a JPEG without metadata.
/// Blocking (tens of milliseconds for a phone's photo): run it off the async workers.
pub fn clean(bytes: &[u8], s: &PhotoSettings, lang: Lang) -> Result<NewPhoto, Error> {
    let unreadable = || Error::Unprocessable(i18n::t(lang, "photo.unreadable", &[]));
    let format = image::guess_format(bytes).map_err(|_| unsupported(lang))?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(unsupported(lang));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    let side = u32::try_from(s.max_pixels.isqrt().max(1)).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side.saturating_mul(4));
    limits.max_image_height = Some(side.saturating_mul(4));
    // Decoded RGBA of the largest accepted image, plus room for the decoder's own buffers.
    limits.max_alloc = Some(s.max_pixels.saturating_mul(4).saturating_add(64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| unreadable())?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > s.max_pixels {
        return Err(Error::TooLarge(i18n::t(
            lang,
            "photo.too_many_pixels",
            &[("mp", &(s.max_pixels / 1_000_000))],
        )));
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| unreadable())?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    if img.width().max(img.height()) > s.max_side {
        img = img.resize(
            s.max_side,
            s.max_side,
            image::imageops::FilterType::Triangle,
        );
    }
    let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
        .encode_image(&rgb)
        .map_err(|_| unreadable())?;
    Ok(NewPhoto {
        content_type: "image/jpeg".into(),
        width: rgb.width(),
        height: rgb.height(),
        bytes: out,
    })
}

/// Refuses a declared media type other than the [`ACCEPTED`] ones (none declared: the bytes
/// decide). The HTTP adapter calls it before reading a byte of the body.
pub fn check_declared(content_type: Option<&str>, lang: Lang) -> Result<(), Error> {
    match content_type.map(|ct| ct.split(';').next().unwrap_or("").trim()) {
        Some(ct) if !ACCEPTED.contains(&ct) => Err(unsupported(lang)),
        _ => Ok(()),
    }
}

fn unsupported(lang: Lang) -> Error {
    Error::UnsupportedMedia(i18n::t(
        lang,
        "photo.unsupported",
        &[("types", &"JPEG, PNG, WebP")],
    ))
}

/// A photo added to a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// Its id.
    pub id: String,
    /// Pixels kept.
    pub width: u32,
    /// Pixels kept.
    pub height: u32,
    /// Bytes kept.
    pub bytes: u64,
}

/// Adds a photo to the report whose reporter holds `secret`. `content_type` is what the
/// client declared (checked against what the bytes are).
pub async fn add(
    o: &Obs,
    secret: &str,
    content_type: Option<&str>,
    bytes: Vec<u8>,
    lang: Lang,
) -> Result<Added, Error> {
    let s = o.settings.photos;
    check_declared(content_type, lang)?;
    if bytes.len() > s.max_bytes {
        return Err(too_big(lang, &s));
    }
    if bytes.is_empty() {
        return Err(Error::Invalid(i18n::t(lang, "photo.empty", &[])));
    }
    // One decode at a time per process: a burst of photos queues instead of taking every
    // core (and memory) from the planner.
    let _turn = o
        .photo_turn
        .acquire()
        .await
        .map_err(|_| Error::Unavailable {
            detail: i18n::t(lang, "store.unavailable", &[]),
            retry_after_s: Some(5),
        })?;
    let cleaned = tokio::task::spawn_blocking(move || clean(&bytes, &s, lang))
        .await
        .map_err(|_| Error::Internal(i18n::t(lang, "photo.unreadable", &[])))??;
    let started = tokio::time::Instant::now();
    let added = o
        .store
        .add_photo_by_secret(secret, &cleaned, s.max_per_report, now_unix())
        .await
        .map_err(|e| Error::from_store(&e, lang));
    tokio::time::sleep_until(started + crate::reports::LOOKUP_FLOOR).await;
    match added? {
        AddPhoto::Added(m) => Ok(Added {
            id: m.id,
            width: m.width,
            height: m.height,
            bytes: m.bytes,
        }),
        AddPhoto::UnknownReport => Err(Error::NotFound(i18n::t(
            lang,
            "obs.unknown_report",
            &[("text", &secret)],
        ))),
        AddPhoto::Full(n) => Err(Error::Conflict(i18n::t(
            lang,
            "photo.too_many",
            &[("n", &n)],
        ))),
    }
}

/// The message for an upload over the limit.
pub fn too_big(lang: Lang, s: &PhotoSettings) -> Error {
    Error::TooLarge(i18n::t(
        lang,
        "photo.too_big",
        &[("mb", &(s.max_bytes / (1024 * 1024)))],
    ))
}

/// The photos of these reports, for an official (viewer or above).
pub async fn list(
    o: &Obs,
    who: &Official,
    cases: &[String],
    lang: Lang,
) -> Result<Vec<PhotoMeta>, Error> {
    crate::officials::require(who, Role::Viewer, lang)?;
    o.store
        .photos_of(cases)
        .await
        .map_err(|e| Error::from_store(&e, lang))
}

/// One photo's bytes, for an official (viewer or above).
pub async fn get(
    o: &Obs,
    who: &Official,
    case: &str,
    id: &str,
    lang: Lang,
) -> Result<(PhotoMeta, Vec<u8>), Error> {
    crate::officials::require(who, Role::Viewer, lang)?;
    o.store
        .photo(case, id)
        .await
        .map_err(|e| Error::from_store(&e, lang))?
        .ok_or_else(|| Error::NotFound(i18n::t(lang, "photo.unknown", &[("id", &id)])))
}
