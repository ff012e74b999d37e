{#- A JSON object of the given columns as text, for fingerprints: `{{ json_object_text(['company']) }}` gives
    {"company":"…"}. Each engine writes its own JSON (numbers may print differently), so a fingerprint compares
    only with fingerprints of the same engine. -#}
{% macro json_object_text(columns) -%}
    {{ return(adapter.dispatch('json_object_text')(columns)) }}
{%- endmacro %}

{% macro default__json_object_text(columns) -%}
    cast(to_json({ {%- for c in columns %}{{ c }}: {{ c }}{{ ', ' if not loop.last }}{% endfor -%} }) as string)
{%- endmacro %}

{% macro spark__json_object_text(columns) -%}
    to_json(named_struct({%- for c in columns %}'{{ c }}', {{ c }}{{ ', ' if not loop.last }}{% endfor -%}))
{%- endmacro %}
