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

/// Largest image accepted to decode, pixels (a fixed guard on memory, not a setting).
const MAX_PIXELS: u64 = 40_000_000;

impl PhotoSettings {
    /// The limits from the configuration.
    pub fn from_config(p: &config::PhotosConfig) -> PhotoSettings {
        PhotoSettings {
            max_bytes: p.max_mb * 1024 * 1024,
            max_per_report: p.max_per_report,
            max_side: p.max_side,
            max_pixels: MAX_PIXELS,
        }
    }
}

impl Default for PhotoSettings {
    /// The configuration's defaults.
    fn default() -> Self {
        PhotoSettings::from_config(&config::Config::default().observatory.photos)
    }
}

/// The media types accepted.
pub const ACCEPTED: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// Decodes, turns upright, scales down and re-encodes `bytes` as a JPEG without metadata.
/// Blocking (tens of milliseconds for a phone's photo): run it off the async workers.
///
/// Memory is budgeted before a pixel is decoded: the decoded image (width × height × bytes
/// per pixel, from the header) must fit in [`decode_budget`], else 413 — a 310 KB PNG of
/// 6,320² pixels at 16 bits per channel declares 240 MB and is refused without decoding.
/// Scaling down is a box filter into the small output (`thumbnail`), with no full-size
/// intermediate; turning upright happens on the small image. So the peak is the decoded
/// image plus a few MB, whatever the input.
pub fn clean(bytes: &[u8], s: &PhotoSettings, lang: Lang) -> Result<NewPhoto, Error> {
    let unreadable = || Error::Unprocessable(i18n::t(lang, "photo.unreadable", &[]));
    let format = image::guess_format(bytes).map_err(|_| unsupported(lang))?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(unsupported(lang));
    }
    let too_many_pixels = || {
        Error::TooLarge(i18n::t(
            lang,
            "photo.too_many_pixels",
            &[("mp", &(s.max_pixels / 1_000_000))],
        ))
    };
    let budget = decode_budget(s);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    // No side limit of the decoder's own: the pixel count below decides, with a 413.
    limits.max_image_width = None;
    limits.max_image_height = None;
    // The decoded image plus room for the decoder's own buffers.
    limits.max_alloc = Some(budget.saturating_add(64 << 20));
    reader.limits(limits);
    // The decoder's allocation limit is a 413 like the pixel count; anything else unreadable.
    let decode_error = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => too_many_pixels(),
        _ => unreadable(),
    };
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > s.max_pixels {
        return Err(too_many_pixels());
    }
    let decoded = decoder.total_bytes();
    if decoded > budget {
        return Err(Error::TooLarge(i18n::t(
            lang,
            "photo.too_heavy",
            &[("mb", &decoded.div_ceil(1 << 20)), ("max", &(budget >> 20))],
        )));
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    if img.width().max(img.height()) > s.max_side {
        img = img.thumbnail(s.max_side, s.max_side);
    }
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
    drop(img);
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

/// The most memory a decoded photo may take: its pixel limit at 8-bit RGBA (160 MB for the
/// default 40 megapixels). A 16-bit or otherwise heavier image must have fewer pixels.
pub fn decode_budget(s: &PhotoSettings) -> u64 {
    s.max_pixels.saturating_mul(4)
}

/// Uploads that may wait for the decode turn at once; more are answered 503 with
/// `Retry-After` at once, so that every request gets an answer well within its deadline.
pub const MAX_QUEUED: usize = 16;

/// How long an upload waits for its decode turn before it is answered 503.
pub const TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Refuses a declared media type other than the [`ACCEPTED`] ones (none declared: the bytes
/// decide). The HTTP adapter calls it before reading a byte of the body.
pub fn check_declared(content_type: Option<&str>, lang: Lang) -> Result<(), Error> {
    match declared_essence(content_type) {
        Some(ct) if !ACCEPTED.contains(&ct.as_str()) => Err(unsupported(lang)),
        _ => Ok(()),
    }
}

/// A declared media type's essence, lower-cased (media types are case-insensitive:
/// `IMAGE/JPEG` is `image/jpeg`).
fn declared_essence(content_type: Option<&str>) -> Option<String> {
    content_type.map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    })
}

/// Refuses bytes that are not what the client declared (a PNG sent as `image/jpeg`): the
/// type is sniffed from the bytes, never taken on trust, and a mismatch is named.
fn check_sniffed(content_type: Option<&str>, bytes: &[u8], lang: Lang) -> Result<(), Error> {
    let sniffed = match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => "image/jpeg",
        Ok(ImageFormat::Png) => "image/png",
        Ok(ImageFormat::WebP) => "image/webp",
        _ => return Err(unsupported(lang)),
    };
    match declared_essence(content_type) {
        Some(declared) if declared != sniffed => Err(Error::UnsupportedMedia(i18n::t(
            lang,
            "photo.type_mismatch",
            &[("declared", &declared), ("sniffed", &sniffed)],
        ))),
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
pub(crate) async fn add(
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
    check_sniffed(content_type, &bytes, lang)?;
    // One decode at a time per process: a burst of photos queues instead of taking every
    // core (and memory) from the planner.
    let busy = || Error::Unavailable {
        detail: i18n::t(lang, "photo.busy", &[("s", &10)]),
        retry_after_s: Some(10),
    };
    // Counted while waiting and decoding; the guard uncounts even when the client hangs up.
    let (_place, before) = Queued::join(&o.photo_queue);
    if before >= MAX_QUEUED {
        return Err(busy());
    }
    let Ok(Ok(_turn)) = tokio::time::timeout(TURN_WAIT, o.photo_turn.acquire()).await else {
        return Err(busy());
    };
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

/// A place in the queue for the decode turn, given back when dropped.
struct Queued<'a>(&'a std::sync::atomic::AtomicUsize);

impl Queued<'_> {
    /// Joins the queue; returns the guard and how many were there before.
    fn join(q: &std::sync::atomic::AtomicUsize) -> (Queued<'_>, usize) {
        let before = q.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (Queued(q), before)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
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
pub(crate) async fn list(
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
pub(crate) async fn get(
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

#[cfg(test)]
mod tests {
    use super::*;

    /// CRC-32 of a PNG chunk (type and data), bit by bit.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }

    /// A PNG that declares `w` × `h` pixels of `bit_depth` and colour type `color` (2: RGB,
    /// 6: RGBA), with a first data chunk of a few bytes: what an attacker sends to make the
    /// server decode (and allocate) a huge image from a tiny file.
    fn png_declaring(w: u32, h: u32, bit_depth: u8, color: u8) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[bit_depth, color, 0, 0, 0]);
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(&mut out, b"IDAT", &[0x78, 0x9c, 0x63, 0x00, 0x00]);
        chunk(&mut out, b"IEND", &[]);
        out
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn memory_is_budgeted_from_the_header_before_decoding() {
        let s = PhotoSettings::default();
        // 6,320² at 16 bits per channel: inside 40 megapixels, 229 MiB decoded. Refused as too
        // large from its header (the old code tried to decode it: 422, or an abort under a
        // memory limit).
        let bomb = png_declaring(6320, 6320, 16, 2);
        assert!(bomb.len() < 100);
        match clean(&bomb, &s, Lang::Es) {
            Err(Error::TooLarge(m)) => assert!(m.contains("229 MB") && m.contains("152"), "{m}"),
            other => panic!("{other:?}"),
        }
        // The same pixels at 8 bits fit the budget; this one has no data, so it cannot be
        // read — a 422, after the budget said yes.
        assert!(matches!(
            clean(&png_declaring(6320, 6320, 8, 2), &s, Lang::Es),
            Err(Error::Unprocessable(_))
        ));
        // Over the pixel count: 413, whatever the sides (over 25,300 px on a side was a 422).
        for (w, h) in [(30_000, 30_000), (7_000, 7_000), (100_000, 1_000)] {
            assert!(
                matches!(
                    clean(&png_declaring(w, h, 8, 2), &s, Lang::Es),
                    Err(Error::TooLarge(_))
                ),
                "{w}×{h}"
            );
        }
    }

    #[test]
    fn a_long_thin_picture_within_the_pixels_is_kept_scaled_down() {
        let s = PhotoSettings {
            max_pixels: 4_000_000,
            max_side: 400,
            ..PhotoSettings::default()
        };
        // 30,000 px wide: over the old side limit (4 × √pixels), within the pixel count.
        let got = clean(&png(30_000, 40), &s, Lang::Es).unwrap();
        assert_eq!((got.width, got.height), (400, 1));
        assert_eq!(image::guess_format(&got.bytes).unwrap(), ImageFormat::Jpeg);
    }

    #[test]
    fn declared_types_are_case_insensitive_and_must_match_the_bytes() {
        let bytes = png(8, 8);
        assert!(check_declared(Some("IMAGE/PNG"), Lang::Es).is_ok());
        assert!(check_declared(Some("Image/Jpeg; charset=x"), Lang::Es).is_ok());
        assert!(check_declared(Some("text/plain"), Lang::Es).is_err());
        assert!(check_sniffed(Some("IMAGE/PNG"), &bytes, Lang::Es).is_ok());
        assert!(check_sniffed(None, &bytes, Lang::Es).is_ok());
        match check_sniffed(Some("image/jpeg"), &bytes, Lang::En) {
            Err(Error::UnsupportedMedia(m)) => {
                assert!(m.contains("image/jpeg") && m.contains("image/png"), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }
}
