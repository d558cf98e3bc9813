"""A citizen's photo: checked to be an image, and its EXIF location removed unless the citizen chose to share it.

Pillow reads the image (a file that is not a JPEG, PNG or WebP picture is refused) and rewrites it without
the GPS block of its EXIF data; a JPEG keeps its quantisation tables (``quality="keep"``), so the picture is
not visibly recompressed. A photo with no location is stored byte for byte as it came.
"""

from __future__ import annotations

import io

from dispatch.errors import Refused

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 3  # a request's photos (FixMyStreet uploads up to three, as photo1..photo3)
MAX_PIXELS = 50_000_000
GPS_IFD = 0x8825
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


def clean_photo(data: bytes, share_location: bool = False) -> tuple[bytes, str, str]:
    """-> (bytes to store, media type, file extension). Raises Refused("bad_media") for anything else."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise Refused("media is empty", "bad_media")
    if len(data) > MAX_PHOTO_BYTES:
        raise Refused(f"media is larger than {MAX_PHOTO_BYTES // 1024 // 1024} MiB", "media_too_large")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            w, h = probe.size
            probe.verify()
        if fmt not in FORMATS:
            raise Refused(f"media must be a JPEG, PNG or WebP photo, not {fmt or 'unknown'}", "bad_media")
        if w * h > MAX_PIXELS:
            raise Refused(f"photo of {w}x{h} pixels is too large (at most {MAX_PIXELS} pixels)", "media_too_large")
        media_type, ext = FORMATS[fmt]
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            if share_location or GPS_IFD not in exif:
                return data, media_type, ext
            del exif[GPS_IFD]
            out = io.BytesIO()
            extra = {"quality": "keep"} if fmt == "JPEG" else {}
            img.save(out, format=fmt, exif=exif.tobytes(), **extra)
            return out.getvalue(), media_type, ext
    except Refused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Refused(f"media is not a readable photo ({type(exc).__name__})", "bad_media") from None


def has_location(data: bytes) -> bool:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return GPS_IFD in img.getexif()
