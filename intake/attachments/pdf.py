"""Remove what identifies a PDF's author, device or origin, with pikepdf.

Removed: the document information dictionary, every XMP metadata stream, application
private data (PieceInfo), embedded files (the EmbeddedFiles name tree, file attachment and
media annotations, associated files, the content of any file specification), annotation
authors and dates, JavaScript and automatic or launching actions, XFA forms, page thumbnails
and the document /ID (a new random one is written). JPEG images inside are re-encoded by the
image cleaner (EXIF GPS and camera gone). An image we cannot clean (JPEG 2000, a JPEG behind
another filter, one that does not decode or is over the pixel limits) is left as it is and
reported, so that the reporter is told the file was not completely cleaned.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from intake.attachments.budget import PixelBudget
from intake.attachments.errors import UnreadableFile
from intake.attachments.images import clean_image

# Keys removed from every dictionary and stream dictionary in the file.
_EVERYWHERE = ("/Metadata", "/PieceInfo", "/AA", "/AF", "/LastModified", "/JS")
_ROOT_KEYS = ("/OpenAction", "/Collection", "/SpiderInfo", "/Perms", "/Threads")
_NAME_TREES = ("/EmbeddedFiles", "/JavaScript", "/AlternatePresentations")
# Annotations that carry files or media, removed from their pages.
_FILE_ANNOTS = {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
# Personal fields of markup annotations (/T is the author; on widgets it is a field name).
_ANNOT_PERSONAL = ("/T", "/M", "/CreationDate", "/NM")
# Actions that stay: moving inside the document, and ordinary links.
_SAFE_ACTIONS = {"/GoTo", "/URI", "/Named", "/Thread"}


def clean_pdf(data: bytes, budget: PixelBudget) -> tuple[bytes, bool]:
    """(cleaned PDF, complete); complete is False when some image could not be cleaned."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            _strip_document(pdf)
            complete = True
            for obj in _every_dictionary(pdf):
                complete &= _strip_object(obj, budget)
            for page in pdf.pages:
                _drop_file_annotations(page.obj)
                if "/Thumb" in page.obj:
                    del page.obj["/Thumb"]
            pdf.trailer.ID = Array([pikepdf.String(secrets.token_bytes(16)),
                                    pikepdf.String(secrets.token_bytes(16))])
            out = io.BytesIO()
            pdf.save(out, fix_metadata_version=False, encryption=False,
                     stream_decode_level=pikepdf.StreamDecodeLevel.none)
            return out.getvalue(), complete
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError, OSError, TypeError):
        raise UnreadableFile("damaged") from None


def _every_dictionary(pdf: pikepdf.Pdf) -> Iterator[Dictionary | Stream]:
    """Every dictionary and stream: each indirect object, and the direct ones nested in it
    (an annotation is often a dictionary written inside its page's /Annots array)."""
    for top in list(pdf.objects):
        pending = [top]
        while pending:
            obj = pending.pop()
            if isinstance(obj, Dictionary | Stream):
                yield obj
                children = list(obj.values())
            elif isinstance(obj, Array):
                children = list(obj)
            else:
                continue
            pending += [c for c in children
                        if isinstance(c, Dictionary | Array) and not c.is_indirect]


def _strip_document(pdf: pikepdf.Pdf) -> None:
    """The trailer's information dictionary and the catalogue's document-wide entries."""
    if "/Info" in pdf.trailer:
        del pdf.trailer["/Info"]
    root = pdf.Root
    for key in _ROOT_KEYS:
        if key in root:
            del root[key]
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        for key in _NAME_TREES:
            if key in names:
                del names[key]
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary) and "/XFA" in form:
        del form["/XFA"]


def _strip_object(obj: Dictionary | Stream, budget: PixelBudget) -> bool:
    """Strip one object in place; False if it is an image that could not be cleaned."""
    for key in _EVERYWHERE:
        if key in obj:
            del obj[key]
    kind, subtype = obj.get("/Type"), obj.get("/Subtype")
    if "/Next" in obj and "/S" in obj:
        del obj["/Next"]  # chained actions: the first one alone is judged below
    action = obj.get("/A")
    if isinstance(action, Dictionary) and str(action.get("/S")) not in _SAFE_ACTIONS:
        del obj["/A"]
    if kind == Name.Filespec or "/EF" in obj:
        for key in ("/EF", "/RF", "/Desc", "/Thumb"):
            if key in obj:
                del obj[key]
    if isinstance(obj, Stream) and kind == Name.EmbeddedFile:
        obj.write(b"")  # in case something still refers to it
    if (kind == Name.Annot or "/Rect" in obj) and subtype is not None \
            and subtype != Name.Widget:
        for key in _ANNOT_PERSONAL:
            if key in obj:
                del obj[key]
    if isinstance(obj, Stream) and subtype == Name.Image:
        return _clean_image_stream(obj, budget)
    return True


def _clean_image_stream(image: Stream, budget: PixelBudget) -> bool:
    """Re-encode a JPEG image; True if the image holds nothing we know how to miss."""
    filters = image.get("/Filter")
    names = list(filters) if isinstance(filters, Array) else [filters] if filters else []
    if Name.JPXDecode in names:
        return False  # JPEG 2000 boxes can carry metadata; we have no cleaner for them
    if Name.DCTDecode not in names:
        return True  # raw or losslessly compressed samples: pixels only
    if names != [Name.DCTDecode]:
        return False
    try:
        cleaned = clean_image(image.read_raw_bytes(), "JPEG", budget, upright=False)
    except UnreadableFile:
        return False
    parms = image.get("/DecodeParms")
    image.write(cleaned, filter=Name.DCTDecode,
                decode_parms=parms if isinstance(parms, Dictionary) else None)
    return True


def _drop_file_annotations(page: Dictionary) -> None:
    """Remove annotations that carry files or media from a page's /Annots."""
    annots = page.get("/Annots")
    if not isinstance(annots, Array):
        return
    kept = [a for a in annots
            if not (isinstance(a, Dictionary) and str(a.get("/Subtype")) in _FILE_ANNOTS)]
    if len(kept) != len(annots):
        page["/Annots"] = Array(kept)
