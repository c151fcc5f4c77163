"""A PDF made by the test that hides personal data everywhere a PDF can, and a way to see
everything a cleaned file still holds (every object, every stream decoded)."""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from tests.attachments.samples import jpeg_with_gps

CANARIES = (
    "Canary Author", "Canary Creator", "Canary Annotator", "Canary Attacher",
    "EMBEDDED-FILE-CANARY", "ANNOT-FILE-CANARY", "JS-OPEN-CANARY", "JS-TREE-CANARY",
    "JS-PAGE-CANARY", "LAUNCH-CANARY", "PIECEINFO-CANARY", "canary-annot-uuid",
    "CanaryCam-9000", "D:20261130061500",
)


def _image(pdf: pikepdf.Pdf, jpeg: bytes, size: tuple[int, int]) -> pikepdf.Stream:
    """A JPEG image XObject: the stream is the JPEG file itself, EXIF and all."""
    image = pikepdf.Stream(pdf, jpeg)
    image.Type, image.Subtype = Name.XObject, Name.Image
    image.Width, image.Height = size
    image.ColorSpace, image.BitsPerComponent = Name.DeviceRGB, 8
    image.Filter = Name.DCTDecode
    return image


def _js(code: str) -> Dictionary:
    return Dictionary(S=Name.JavaScript, JS=String(code))


def hostile_pdf() -> bytes:
    """One page; GPS photos drawn directly and inside a form XObject; an embedded file, a
    file attachment annotation, an authored comment, JavaScript on open, in the name tree
    and on the page, a Launch link, PieceInfo, docinfo, XMP and an /ID."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    photo = _image(pdf, jpeg_with_gps((64, 48)), (64, 48))
    inner = _image(pdf, jpeg_with_gps((40, 30)), (40, 30))
    form = pikepdf.Stream(pdf, b"q 40 0 0 30 0 0 cm /In Do Q")
    form.Type, form.Subtype, form.BBox = Name.XObject, Name.Form, [0, 0, 40, 30]
    form.Resources = Dictionary(XObject=Dictionary(In=inner))
    page.obj.Resources = Dictionary(XObject=Dictionary(Im0=photo, Fm0=form))
    page.obj.Contents = pdf.make_stream(b"q 64 0 0 48 10 10 cm /Im0 Do Q /Fm0 Do")
    pdf.attachments["evidence.txt"] = pikepdf.AttachedFileSpec(
        pdf, b"EMBEDDED-FILE-CANARY the reporter's contact list", mime_type="text/plain")
    attached = pikepdf.AttachedFileSpec(pdf, b"ANNOT-FILE-CANARY", filename="a.txt")
    page.obj.Annots = pdf.make_indirect(Array([
        Dictionary(Type=Name.Annot, Subtype=Name.Text, Rect=[0, 0, 20, 20],
                   Contents=String("see the photo"), T=String("Canary Annotator"),
                   M=String("D:20261130061500"), NM=String("canary-annot-uuid")),
        Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[20, 0, 40, 20],
                   FS=attached.obj, T=String("Canary Attacher")),
        Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[40, 0, 60, 20],
                   A=Dictionary(S=Name.Launch, F=String("LAUNCH-CANARY.exe"))),
    ]))
    page.obj.AA = Dictionary(O=_js("app.alert('JS-PAGE-CANARY')"))
    page.obj.PieceInfo = Dictionary(Editor=Dictionary(Private=String("PIECEINFO-CANARY")))
    pdf.Root.OpenAction = _js("app.alert('JS-OPEN-CANARY')")
    pdf.Root.Names.JavaScript = Dictionary(Names=Array([String("x"),
                                                        _js("JS-TREE-CANARY")]))
    with pdf.open_metadata(update_docinfo=False) as meta:
        meta["dc:creator"] = ["Canary Creator"]
    pdf.docinfo["/Author"] = "Canary Author"
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def everything_in(data: bytes) -> bytes:
    """The file's bytes plus a rewrite with every object and stream uncompressed: what
    anyone with the file can read."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, qdf=True, object_stream_mode=pikepdf.ObjectStreamMode.disable,
                 compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.all)
        streams = []
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    streams.append(obj.read_bytes())
                except pikepdf.PdfError:
                    streams.append(obj.read_raw_bytes())
    return b"\n".join([data, out.getvalue(), *streams])


def document_id(data: bytes) -> list[bytes]:
    """The two halves of the trailer /ID."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [bytes(part) for part in pdf.trailer.ID]


def jpeg_images(data: bytes) -> list[bytes]:
    """The raw data of every DCT image XObject (each is a JPEG file)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [obj.read_raw_bytes() for obj in pdf.objects
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == Name.Image
                and obj.get("/Filter") == Name.DCTDecode]
