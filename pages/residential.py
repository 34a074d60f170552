from pages.theme import theme_page

theme_page("residential")
