"""Commons parsers against real recorded imageinfo answers: both formatversions, HTML authors, licences."""

from __future__ import annotations

import pytest

from twindata.sources.commons import html_to_text, parse_imageinfo, parse_page, spdx_id

from conftest import load_fixture


def _one(name: str, title: str):
    found, missing = parse_imageinfo(load_fixture(name), [title])
    assert not missing
    return found[title]


def test_formatversion1_cc0_with_a_linked_author():
    image = _one("wmde-commons/commons_imageinfo_Foobar.jpg.json", "File:Foobar.jpg")
    assert image.licence_name == "CC0" and image.licence_spdx == "CC0-1.0"
    assert image.author == "Kaldari" and image.author_url == "https://commons.wikimedia.org/wiki/User:Kaldari"
    assert image.attribution_required is False
    assert image.credit == "Own work"
    assert image.page_url == "https://commons.wikimedia.org/wiki/File:Foobar.jpg"


def test_normalised_title_maps_back_to_the_title_asked_and_a_red_link_author_has_no_url():
    image = _one("wmde-commons/commons_imageinfo_Helene_Fischer_2010.jpg.json", "File:Helene_Fischer_2010.jpg")
    assert image.title == "File:Helene Fischer 2010.jpg"
    assert image.author and "<" not in image.author
    assert image.author_url is None  # the only link is a red link to an edit page


def test_html_entities_and_a_ported_licence():
    image = _one("wmde-commons/commons_imageinfo_Apple_Lisa2-IMG_1517.jpg.json", "File:Apple_Lisa2-IMG_1517.jpg")
    assert image.author == "Rama & Musée Bolo"
    assert image.licence_name == "CC BY-SA 2.0 fr" and image.licence_spdx == "CC-BY-SA-2.0-FR"
    assert image.licence_url.startswith("https://creativecommons.org/licenses/by-sa/2.0/fr/")


def test_formatversion2_list_with_a_file_from_the_shared_repository_and_an_html_list_as_author():
    image = _one("wptools/enwiki_imageinfo_Douglas_adams_portrait_cropped_fv2.json", "File:Douglas adams portrait cropped.jpg")
    assert image.author == ("Douglas_adams_portrait.jpg: michael hughes from berlin, germany; "
                            "derivative work: Beao")
    assert image.author_url is None  # several links: no single author URL
    assert (image.width, image.height, image.file_size_bytes) == (333, 386, 32915)
    assert image.licence_spdx == "CC-BY-SA-2.0" and image.attribution_required is True


def test_local_public_domain_file_without_attribution_flag_and_a_file_page_as_licence_url():
    image = _one("wmde-commons/dewiki_imageinfo_1_FC_Bamberg_-_1_FC_N_rnberg_1901.jpg.json",
                 "File:1_FC_Bamberg_-_1_FC_Nürnberg_1901.jpg")
    assert image.licence_name == "PD-alt-100" and image.licence_spdx is None
    assert image.attribution_required is True  # the key is absent: assume credit is owed
    assert image.author == "unbekannt"
    assert image.licence_url.startswith("https://")  # protocol-relative in the answer


def test_batch_with_negative_page_ids_and_an_article_without_imageinfo():
    answer = load_fixture("wmde-commons/dewiki_imageinfo_Baumeister-K_nigsberg.JPG.json")
    titles = [p["title"] for p in answer["query"]["pages"].values()]
    found, missing = parse_imageinfo(answer, titles)
    assert len(found) == 31 and not missing
    article = load_fixture("wmde-commons/dewiki_imageinfo_K_nigsberg_in_Bayern.json")
    assert parse_imageinfo(article, ["Königsberg_in_Bayern"]) == ({}, {"Königsberg_in_Bayern"})


def test_page_object_and_imageinfo_without_licence_url():
    page = load_fixture("openverse/image_data_example.json")
    page.setdefault("title", "File:20120925_PlozevetBretagne_LoneTree_DSC07971_PtrQs.jpg")
    image = parse_page(page)
    assert image.author == "PtrQs" and image.licence_spdx == "CC-BY-SA-4.0"
    info = load_fixture("openverse/image_info_missing_license_url.json")
    bare = parse_page({"title": page["title"], "imageinfo": [info]})
    assert bare.licence_url is None and bare.licence_name == image.licence_name


@pytest.mark.parametrize("name, spdx", [("CC BY-SA 3.0", "CC-BY-SA-3.0"), ("CC BY 4.0", "CC-BY-4.0"),
                                        ("CC BY-SA 2.0 fr", "CC-BY-SA-2.0-FR"), ("CC0", "CC0-1.0"),
                                        ("FAL", None), ("PD-alt-100", None), ("Public domain", None), (None, None)])
def test_spdx_ids_only_where_the_version_is_known(name, spdx):
    assert spdx_id(name) == spdx


def test_html_to_text_keeps_plain_text_and_links():
    text, links = html_to_text('<a href="//x.org/User:A">A</a> &amp; <i>B</i><br>C')
    assert text == "A & B; C" and links == ["//x.org/User:A"]
    assert html_to_text("Plain &amp; simple") == ("Plain & simple", [])
