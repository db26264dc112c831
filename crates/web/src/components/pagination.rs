//! Bootstrap Italia pagination with real links, so pages can be opened, bookmarked and
//! navigated with back/forward.

use super::icon::Icon;
use leptos::prelude::*;

/// The page numbers to show: the first, the last and two either side of the current one; `None`
/// stands for a gap.
pub fn page_window(current: u64, pages: u64) -> Vec<Option<u64>> {
    let mut out: Vec<Option<u64>> = Vec::new();
    for p in 1..=pages {
        if p == 1 || p == pages || p.abs_diff(current) <= 2 {
            out.push(Some(p));
        } else if out.last().is_some_and(Option::is_some) {
            out.push(None);
        }
    }
    out
}

#[component]
pub fn Pagination(
    /// 1-based.
    current: u64,
    pages: u64,
    /// The URL of a page.
    #[prop(into)]
    link: Callback<u64, String>,
) -> impl IntoView {
    (pages > 1).then(|| {
        let prev = (current > 1).then(|| link.run(current - 1));
        let next = (current < pages).then(|| link.run(current + 1));
        let (first, last) = (prev.is_none(), next.is_none());
        view! {
            <nav class="pagination-wrapper justify-content-center" aria-label="Paginazione dei risultati">
                <ul class="pagination">
                    <li class="page-item" class:disabled=first>
                        {match prev {
                            Some(href) => {
                                view! {
                                    <a class="page-link" id="page-prev" href=href>
                                        <Icon name="it-chevron-left" class="icon-primary"/>
                                        <span class="visually-hidden">"Pagina precedente"</span>
                                    </a>
                                }
                                    .into_any()
                            }
                            None => {
                                view! {
                                    <span class="page-link" id="page-prev" aria-disabled="true">
                                        <Icon name="it-chevron-left" class="icon-primary"/>
                                        <span class="visually-hidden">"Pagina precedente"</span>
                                    </span>
                                }
                                    .into_any()
                            }
                        }}
                    </li>
                    {page_window(current, pages)
                        .into_iter()
                        .map(|p| match p {
                            Some(p) if p == current => {
                                view! {
                                    <li class="page-item">
                                        <a
                                            class="page-link"
                                            aria-current="page"
                                            data-testid=format!("page-{p}")
                                            href=link.run(p)
                                        >
                                            <span class="d-inline-block d-sm-none">"Pagina "</span>
                                            {p}
                                        </a>
                                    </li>
                                }
                                    .into_any()
                            }
                            Some(p) => {
                                view! {
                                    <li class="page-item d-none d-sm-flex">
                                        <a class="page-link" data-testid=format!("page-{p}") href=link.run(p)>
                                            <span class="visually-hidden">"Pagina "</span>
                                            {p}
                                        </a>
                                    </li>
                                }
                                    .into_any()
                            }
                            None => {
                                view! {
                                    <li class="page-item d-none d-sm-flex" aria-hidden="true">
                                        <span class="page-link">"…"</span>
                                    </li>
                                }
                                    .into_any()
                            }
                        })
                        .collect_view()}
                    <li class="page-item" class:disabled=last>
                        {match next {
                            Some(href) => {
                                view! {
                                    <a class="page-link" id="page-next" href=href>
                                        <span class="visually-hidden">"Pagina successiva"</span>
                                        <Icon name="it-chevron-right" class="icon-primary"/>
                                    </a>
                                }
                                    .into_any()
                            }
                            None => {
                                view! {
                                    <span class="page-link" id="page-next" aria-disabled="true">
                                        <span class="visually-hidden">"Pagina successiva"</span>
                                        <Icon name="it-chevron-right" class="icon-primary"/>
                                    </span>
                                }
                                    .into_any()
                            }
                        }}
                    </li>
                </ul>
            </nav>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::page_window;

    #[test]
    fn window_keeps_ends_and_neighbours() {
        assert_eq!(page_window(1, 1), vec![Some(1)]);
        assert_eq!(page_window(1, 3), vec![Some(1), Some(2), Some(3)]);
        assert_eq!(
            page_window(10, 31),
            vec![
                Some(1),
                None,
                Some(8),
                Some(9),
                Some(10),
                Some(11),
                Some(12),
                None,
                Some(31)
            ]
        );
        assert_eq!(
            page_window(1, 31),
            vec![Some(1), Some(2), Some(3), None, Some(31)]
        );
    }
}
