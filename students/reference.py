"""Universities named in the seeds, spelt as the seeds spell them.

SPRING and BOOST adoption: ../shared/seeds/000_aa2d19c35d4c7748.txt. National groups
①–⑥: ../shared/seeds/003_eb43dd8568f2312c.txt (group ④ are the designated national
universities). Where the seeds name a university by a former name, the current name is
used and the former one kept in `former_names`:
- 東京科学大学: SPRING lists it as 東京科学大学（旧東京工業大学） and （旧東京医科歯科大学）;
  BOOST and group ④ list 東京工業大学 and 東京医科歯科大学.
- SPRING lists 名古屋大学/岐阜大学 as one project (東海国立大学機構): two universities.
- Group ④ spells 東北大学 as 東北大大学, a typo in the seed.
"""

SPRING = """青山学院大学 九州大学 芝浦工業大学 東京科学大学 富山大学 福井大学 秋田大学 京都工芸繊維大学 島根大学
東京大学 豊橋技術科学大学 福島大学 茨城大学 京都産業大学 上智大学 東京電機大学 長岡技術科学大学 藤田医科大学
愛媛大学 京都大学 信州大学 東京都市大学 長崎大学 北陸先端科学技術大学院大学 大阪公立大学 京都府立医科大学
創価大学 東京都立大学 名古屋工業大学 北海道大学 大阪大学 近畿大学 総合研究大学院大学 東京農業大学 名古屋市立大学
三重大学 岡山大学 熊本大学 千葉大学 東京農工大学 名古屋大学 岐阜大学 宮崎大学 お茶の水女子大学 群馬大学 中央大学
東京薬科大学 奈良女子大学 室蘭工業大学 香川大学 慶應義塾大学 中部大学 東京理科大学 奈良先端科学技術大学院大学
山形大学 金沢大学 高知工科大学 筑波大学 同志社大学 新潟医療福祉大学 山口大学 鹿屋体育大学 高知大学 電気通信大学
東北大学 新潟大学 山梨大学 関西大学 甲南大学 東海大学 東洋大学 一橋大学 横浜国立大学 北九州市立大学 神戸大学
東京外国語大学 徳島大学 兵庫県立大学 横浜市立大学 岐阜薬科大学 静岡大学 東京海洋大学 鳥取大学 弘前大学 立命館大学
九州工業大学 自治医科大学 富山県立大学 広島大学 早稲田大学""".split()

BOOST = """大阪公立大学 東京科学大学 大阪大学 岡山大学 東京大学 お茶の水女子大学 東京都立大学 金沢大学 東京農工大学
九州大学 東北大学 京都大学 名古屋大学 熊本大学 奈良先端科学技術大学院大学 慶應義塾大学 広島大学 神戸大学
北陸先端科学技術大学院大学 信州大学 北海道大学 総合研究大学院大学 横浜国立大学 千葉大学 立命館大学 筑波大学
早稲田大学 電気通信大学""".split()

NATIONAL_GROUPS = {
    1: """旭川医科大学 弘前大学 秋田大学 山形大学 群馬大学 新潟大学 富山大学 福井大学 山梨大学 信州大学 岐阜大学
浜松医科大学 三重大学 滋賀医科大学 鳥取大学 島根大学 山口大学 徳島大学 香川大学 愛媛大学 高知大学 佐賀大学 長崎大学
熊本大学 大分大学 宮崎大学 鹿児島大学 琉球大学""".split(),
    2: """北海道教育大学 室蘭工業大学 小樽商科大学 帯広畜産大学 北見工業大学 岩手大学 宮城教育大学 福島大学 茨城大学
宇都宮大学 埼玉大学 横浜国立大学 長岡技術科学大学 上越教育大学 静岡大学 愛知教育大学 名古屋工業大学 豊橋技術科学大学
滋賀大学 京都教育大学 京都工芸繊維大学 大阪教育大学 兵庫教育大学 奈良教育大学 和歌山大学 鳴門教育大学 福岡教育大学""".split(),
    3: """筑波技術大学 東京外国語大学 東京学芸大学 東京芸術大学 東京海洋大学 お茶の水女子大学 電気通信大学 奈良女子大学
九州工業大学 鹿屋体育大学 政策研究大学院大学 総合研究大学院大学 北陸先端科学技術大学院大学 奈良先端科学技術大学院大学""".split(),
    4: "東北大学 筑波大学 東京大学 東京科学大学 一橋大学 名古屋大学 京都大学 大阪大学 九州大学".split(),
    5: "北海道大学 千葉大学 東京農工大学 金沢大学 神戸大学 岡山大学 広島大学".split(),
    6: "人間文化研究機構 自然科学研究機構 高エネルギー加速器研究機構 情報・システム研究機構".split(),
}

PUBLIC = set(
    "大阪公立大学 京都府立医科大学 東京都立大学 名古屋市立大学 北九州市立大学 兵庫県立大学 横浜市立大学 "
    "岐阜薬科大学 富山県立大学 高知工科大学".split()
)

FORMER_NAMES = {"東京科学大学": "東京工業大学、東京医科歯科大学"}

ENGLISH = {
    "青山学院大学": "Aoyama Gakuin University", "九州大学": "Kyushu University",
    "芝浦工業大学": "Shibaura Institute of Technology", "東京科学大学": "Institute of Science Tokyo",
    "富山大学": "University of Toyama", "福井大学": "University of Fukui", "秋田大学": "Akita University",
    "京都工芸繊維大学": "Kyoto Institute of Technology", "島根大学": "Shimane University",
    "東京大学": "The University of Tokyo", "豊橋技術科学大学": "Toyohashi University of Technology",
    "福島大学": "Fukushima University", "茨城大学": "Ibaraki University", "京都産業大学": "Kyoto Sangyo University",
    "上智大学": "Sophia University", "東京電機大学": "Tokyo Denki University",
    "長岡技術科学大学": "Nagaoka University of Technology", "藤田医科大学": "Fujita Health University",
    "愛媛大学": "Ehime University", "京都大学": "Kyoto University", "信州大学": "Shinshu University",
    "東京都市大学": "Tokyo City University", "長崎大学": "Nagasaki University",
    "北陸先端科学技術大学院大学": "Japan Advanced Institute of Science and Technology",
    "大阪公立大学": "Osaka Metropolitan University", "京都府立医科大学": "Kyoto Prefectural University of Medicine",
    "創価大学": "Soka University", "東京都立大学": "Tokyo Metropolitan University",
    "名古屋工業大学": "Nagoya Institute of Technology", "北海道大学": "Hokkaido University",
    "大阪大学": "Osaka University", "近畿大学": "Kindai University",
    "総合研究大学院大学": "The Graduate University for Advanced Studies, SOKENDAI",
    "東京農業大学": "Tokyo University of Agriculture", "名古屋市立大学": "Nagoya City University",
    "三重大学": "Mie University", "岡山大学": "Okayama University", "熊本大学": "Kumamoto University",
    "千葉大学": "Chiba University", "東京農工大学": "Tokyo University of Agriculture and Technology",
    "名古屋大学": "Nagoya University", "岐阜大学": "Gifu University", "宮崎大学": "University of Miyazaki",
    "お茶の水女子大学": "Ochanomizu University", "群馬大学": "Gunma University", "中央大学": "Chuo University",
    "東京薬科大学": "Tokyo University of Pharmacy and Life Sciences", "奈良女子大学": "Nara Women's University",
    "室蘭工業大学": "Muroran Institute of Technology", "香川大学": "Kagawa University",
    "慶應義塾大学": "Keio University", "中部大学": "Chubu University", "東京理科大学": "Tokyo University of Science",
    "奈良先端科学技術大学院大学": "Nara Institute of Science and Technology", "山形大学": "Yamagata University",
    "金沢大学": "Kanazawa University", "高知工科大学": "Kochi University of Technology",
    "筑波大学": "University of Tsukuba", "同志社大学": "Doshisha University",
    "新潟医療福祉大学": "Niigata University of Health and Welfare", "山口大学": "Yamaguchi University",
    "鹿屋体育大学": "National Institute of Fitness and Sports in Kanoya", "高知大学": "Kochi University",
    "電気通信大学": "The University of Electro-Communications", "東北大学": "Tohoku University",
    "新潟大学": "Niigata University", "山梨大学": "University of Yamanashi", "関西大学": "Kansai University",
    "甲南大学": "Konan University", "東海大学": "Tokai University", "東洋大学": "Toyo University",
    "一橋大学": "Hitotsubashi University", "横浜国立大学": "Yokohama National University",
    "北九州市立大学": "The University of Kitakyushu", "神戸大学": "Kobe University",
    "東京外国語大学": "Tokyo University of Foreign Studies", "徳島大学": "Tokushima University",
    "兵庫県立大学": "University of Hyogo", "横浜市立大学": "Yokohama City University",
    "岐阜薬科大学": "Gifu Pharmaceutical University", "静岡大学": "Shizuoka University",
    "東京海洋大学": "Tokyo University of Marine Science and Technology", "鳥取大学": "Tottori University",
    "弘前大学": "Hirosaki University", "立命館大学": "Ritsumeikan University",
    "九州工業大学": "Kyushu Institute of Technology", "自治医科大学": "Jichi Medical University",
    "富山県立大学": "Toyama Prefectural University", "広島大学": "Hiroshima University",
    "早稲田大学": "Waseda University", "旭川医科大学": "Asahikawa Medical University",
    "浜松医科大学": "Hamamatsu University School of Medicine", "滋賀医科大学": "Shiga University of Medical Science",
    "佐賀大学": "Saga University", "大分大学": "Oita University", "鹿児島大学": "Kagoshima University",
    "琉球大学": "University of the Ryukyus", "北海道教育大学": "Hokkaido University of Education",
    "小樽商科大学": "Otaru University of Commerce", "帯広畜産大学": "Obihiro University of Agriculture and Veterinary Medicine",
    "北見工業大学": "Kitami Institute of Technology", "岩手大学": "Iwate University",
    "宮城教育大学": "Miyagi University of Education", "宇都宮大学": "Utsunomiya University",
    "埼玉大学": "Saitama University", "上越教育大学": "Joetsu University of Education",
    "愛知教育大学": "Aichi University of Education", "滋賀大学": "Shiga University",
    "京都教育大学": "Kyoto University of Education", "大阪教育大学": "Osaka Kyoiku University",
    "兵庫教育大学": "Hyogo University of Teacher Education", "奈良教育大学": "Nara University of Education",
    "和歌山大学": "Wakayama University", "鳴門教育大学": "Naruto University of Education",
    "福岡教育大学": "University of Teacher Education Fukuoka", "筑波技術大学": "Tsukuba University of Technology",
    "東京学芸大学": "Tokyo Gakugei University", "東京芸術大学": "Tokyo University of the Arts",
    "政策研究大学院大学": "National Graduate Institute for Policy Studies",
    "人間文化研究機構": "National Institutes for the Humanities", "自然科学研究機構": "National Institutes of Natural Sciences",
    "高エネルギー加速器研究機構": "High Energy Accelerator Research Organization (KEK)",
    "情報・システム研究機構": "Research Organization of Information and Systems",
}


def university_rows() -> list[dict]:
    """One dict per university, ready for update_or_create keyed on name_ja."""
    group_of = {name: group for group, names in NATIONAL_GROUPS.items() for name in names}
    names = list(dict.fromkeys([*SPRING, *BOOST, *group_of]))
    rows = []
    for name in names:
        group = group_of.get(name)
        founder = "national" if group else ("public" if name in PUBLIC else "private")
        rows.append(
            {
                "name_ja": name,
                "name_en": ENGLISH.get(name, ""),
                "former_names": FORMER_NAMES.get(name, ""),
                "founder": founder,
                "national_group": group,
                "is_designated": group == 4,
                "spring_adopted": name in SPRING,
                "boost_adopted": name in BOOST,
            }
        )
    return rows
