import sys
from playwright.sync_api import sync_playwright
acct, lang, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
with sync_playwright() as p:
    b=p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    pg=b.new_context(base_url="http://127.0.0.1:8103", viewport={"width":1280,"height":900}).new_page()
    pg.goto("/accounts/login/"); pg.fill("#id_username",acct); pg.fill("#id_password","demo-pass-2025"); pg.click("button[type=submit].primary"); pg.wait_for_load_state()
    if lang=="en":
        pg.click("header button[value=en]"); pg.wait_for_load_state()
    for i,path in enumerate(paths):
        y=0
        if "@" in path: path,y=path.split("@"); y=int(y)
        pg.goto(path); pg.wait_for_timeout(300)
        pg.screenshot(path=f"/tmp/shot-{acct}-{lang}-{i}.png", clip={"x":0,"y":y,"width":1280,"height":900}, full_page=True)
    b.close()
