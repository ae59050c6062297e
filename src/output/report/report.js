// loghunt report: the tables. Each `.datatable` names the JSON data element (type
// application/json) with its columns and rows; only one page of rows is ever in the document, so a rule with 100,000
// hits stays responsive. Sorting and filtering run over all rows. Every value goes in with
// textContent, never as markup.
//
// The state of each table is mirrored in data attributes (data-total, data-matching,
// data-shown, data-page, data-pages, data-sort, data-filter), and the URL fragment can set it:
// `#sort=Column:asc|desc&filter=text&page=N&size=N&table=ID` (`table`, a rule id or data source,
// limits it to one table). The tests read the one and set the other.
(function () {
  'use strict';
  var started = performance.now();
  var PAGE_SIZES = [100, 500, 1000];
  var numbers = new Intl.NumberFormat('en-US');

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  var TIMESPAN = /^(-)?(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.(\d+))?$/;

  // The key a cell sorts by; null (no value) sorts before every value.
  function sortKey(type, text) {
    if (text === null || text === undefined) return null;
    switch (type) {
      case 'long':
        if (/^-?\d+$/.test(text)) return BigInt(text);
        return numberOrNull(text);
      case 'real':
        return numberOrNull(text);
      case 'datetime':
        // Kusto prints whole seconds without a fraction: `...:00Z` is before `...:00.5000000Z`.
        return text.length === 20 ? text.slice(0, 19) + '.0000000Z' : text;
      case 'timespan': {
        var m = TIMESPAN.exec(text);
        if (!m) return null;
        var ticks = ((+(m[2] || 0) * 24 + +m[3]) * 60 + +m[4]) * 60 + +m[5];
        ticks = ticks * 1e7 + +((m[6] || '') + '0000000').slice(0, 7);
        return m[1] ? -ticks : ticks;
      }
      case 'bool':
        return text === 'true' ? 1 : 0;
      case 'origin': {
        var at = text.lastIndexOf(':');
        return text.slice(0, at) + '\u0000' + text.slice(at + 1).padStart(12, '0');
      }
      default:
        return text;
    }
  }

  function numberOrNull(text) {
    var n = Number(text);
    return Number.isNaN(n) ? null : n;
  }

  // The files `file:line` cells point into: `[file, line]` in the data, a path once.
  var origins = null;
  function origin(place) {
    if (!origins) origins = JSON.parse(document.getElementById('origins').textContent);
    return origins[place[0]] + ':' + place[1];
  }

  function Table(root) {
    var spec = JSON.parse(document.getElementById(root.dataset.source).textContent);
    spec.columns.forEach(function (column, c) {
      if (column.type !== 'origin') return;
      spec.rows.forEach(function (row) { if (row[c] !== null) row[c] = origin(row[c]); });
    });
    this.root = root;
    this.columns = spec.columns;
    this.rows = spec.rows;
    this.keys = [];
    this.haystack = null;
    this.sortColumn = -1;
    this.sortDirection = 1;
    this.filter = '';
    this.page = 0;
    this.size = PAGE_SIZES[0];
    this.sorted = null;
    this.view = null;
    this.build();
  }

  Table.prototype.build = function () {
    var self = this;
    var bar = el('div', 'toolbar');
    this.input = el('input');
    this.input.type = 'search';
    this.input.placeholder = 'Filter rows (any column)';
    this.input.setAttribute('aria-label', 'Filter rows');
    var timer = 0;
    this.input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.setFilter(self.input.value); }, 150);
    });
    this.count = el('span', 'count');
    var pager = el('span', 'pager');
    function button(label, title, go) {
      var b = el('button', null, label);
      b.type = 'button';
      b.title = title;
      b.addEventListener('click', function () { self.goTo(go()); });
      pager.appendChild(b);
      return b;
    }
    this.first = button('«', 'First page', function () { return 0; });
    this.previous = button('‹', 'Previous page', function () { return self.page - 1; });
    this.pageLabel = el('span', 'page');
    pager.appendChild(this.pageLabel);
    this.next = button('›', 'Next page', function () { return self.page + 1; });
    this.last = button('»', 'Last page', function () { return Infinity; });
    this.sizeSelect = el('select');
    this.sizeSelect.setAttribute('aria-label', 'Rows per page');
    PAGE_SIZES.forEach(function (n) {
      var option = el('option', null, n + ' rows');
      option.value = String(n);
      self.sizeSelect.appendChild(option);
    });
    this.sizeSelect.addEventListener('change', function () { self.setSize(+self.sizeSelect.value); });
    pager.appendChild(this.sizeSelect);
    bar.appendChild(this.input);
    bar.appendChild(this.count);
    bar.appendChild(pager);

    var scroll = el('div', 'scroll');
    var table = el('table', 'grid');
    var head = el('thead');
    var headRow = el('tr');
    this.headers = this.columns.map(function (column, at) {
      var th = el('th');
      th.dataset.column = column.name;
      th.setAttribute('aria-sort', 'none');
      var b = el('button', null, column.name);
      b.type = 'button';
      b.title = 'Sort by ' + column.name + ' (' + column.type + ')';
      b.appendChild(el('span', 'arrow'));
      b.addEventListener('click', function () { self.cycleSort(at); });
      th.appendChild(b);
      headRow.appendChild(th);
      return th;
    });
    head.appendChild(headRow);
    this.body = el('tbody');
    this.body.addEventListener('click', function (event) {
      var tr = event.target.closest('tr');
      if (tr && tr.dataset.row !== undefined) self.toggleDetail(tr);
    });
    table.appendChild(head);
    table.appendChild(this.body);
    scroll.appendChild(table);
    this.scroll = scroll;
    this.root.replaceChildren(bar, scroll);
  };

  Table.prototype.keysOf = function (column) {
    if (!this.keys[column]) {
      var type = this.columns[column].type;
      this.keys[column] = this.rows.map(function (row) { return sortKey(type, row[column]); });
    }
    return this.keys[column];
  };

  // Header clicks go ascending, descending, then back to the query's own order.
  Table.prototype.cycleSort = function (column) {
    if (this.sortColumn !== column) this.setSort(column, 1);
    else if (this.sortDirection === 1) this.setSort(column, -1);
    else this.setSort(-1, 1);
  };

  Table.prototype.setSort = function (column, direction) {
    this.sortColumn = column;
    this.sortDirection = direction;
    this.sorted = null;
    this.page = 0;
    this.refresh();
  };

  Table.prototype.setFilter = function (text) {
    this.filter = text.trim().toLowerCase();
    if (this.input.value !== text) this.input.value = text;
    this.page = 0;
    this.view = null;
    this.refresh();
  };

  Table.prototype.setSize = function (size) {
    var first = this.page * this.size;
    this.size = size;
    this.sizeSelect.value = String(size);
    this.page = Math.floor(first / size);
    this.refresh();
  };

  Table.prototype.goTo = function (page) {
    var pages = Math.max(1, Math.ceil(this.view.length / this.size));
    this.page = Math.max(0, Math.min(page, pages - 1));
    this.refresh();
  };

  // Sorted indices of all rows (ties keep the query's order), then those the filter keeps.
  Table.prototype.compute = function () {
    var count = this.rows.length;
    if (!this.sorted) {
      var order = new Array(count);
      for (var i = 0; i < count; i++) order[i] = i;
      if (this.sortColumn >= 0) {
        var keys = this.keysOf(this.sortColumn);
        var direction = this.sortDirection;
        order.sort(function (a, b) {
          var x = keys[a], y = keys[b];
          if (x === y) return a - b;
          if (x === null) return -direction;
          if (y === null) return direction;
          if (x < y) return -direction;
          if (x > y) return direction;
          return a - b;
        });
      }
      this.sorted = order;
      this.view = null;
    }
    if (!this.view) {
      var needle = this.filter;
      if (!needle) {
        this.view = this.sorted;
      } else {
        if (!this.haystack) {
          this.haystack = this.rows.map(function (row) {
            return row.map(function (v) { return v === null ? '' : v; }).join('\u0001').toLowerCase();
          });
        }
        var haystack = this.haystack;
        this.view = this.sorted.filter(function (i) { return haystack[i].indexOf(needle) !== -1; });
      }
    }
  };

  Table.prototype.refresh = function () {
    this.compute();
    var view = this.view;
    var pages = Math.max(1, Math.ceil(view.length / this.size));
    if (this.page >= pages) this.page = pages - 1;
    var start = this.page * this.size;
    var end = Math.min(view.length, start + this.size);
    var fragment = document.createDocumentFragment();
    for (var k = start; k < end; k++) {
      var index = view[k];
      var row = this.rows[index];
      var tr = el('tr');
      tr.dataset.row = String(index);
      for (var c = 0; c < row.length; c++) {
        var value = row[c];
        var td = el('td', value === null ? 'null' : null, value === null ? '' : value);
        if (value !== null && value.length > 40) td.title = value;
        tr.appendChild(td);
      }
      fragment.appendChild(tr);
    }
    this.body.replaceChildren(fragment);
    var self = this;
    this.headers.forEach(function (th, at) {
      var sorted = at === self.sortColumn;
      th.setAttribute('aria-sort', sorted ? (self.sortDirection === 1 ? 'ascending' : 'descending') : 'none');
      th.querySelector('.arrow').textContent = sorted ? (self.sortDirection === 1 ? '▲' : '▼') : '';
    });
    var total = this.rows.length;
    var text = view.length === 0 ? 'No rows' : 'Rows ' + numbers.format(start + 1) + '–' + numbers.format(end) + ' of ' + numbers.format(view.length);
    if (this.filter) text += ' matching (' + numbers.format(total) + ' in all)';
    this.count.textContent = text;
    this.pageLabel.textContent = 'page ' + numbers.format(this.page + 1) + ' of ' + numbers.format(pages);
    this.first.disabled = this.previous.disabled = this.page === 0;
    this.next.disabled = this.last.disabled = this.page >= pages - 1;
    var data = this.root.dataset;
    data.total = String(total);
    data.matching = String(view.length);
    data.shown = String(end - start);
    data.page = String(this.page + 1);
    data.pages = String(pages);
    data.sort = this.sortColumn >= 0 ? this.columns[this.sortColumn].name + ':' + (this.sortDirection === 1 ? 'asc' : 'desc') : '';
    data.filter = this.filter;
  };

  Table.prototype.toggleDetail = function (tr) {
    var next = tr.nextElementSibling;
    if (next && next.classList.contains('detail')) {
      next.remove();
      return;
    }
    var row = this.rows[+tr.dataset.row];
    var detail = el('tr', 'detail');
    var td = el('td');
    td.colSpan = this.columns.length;
    var list = el('dl');
    this.columns.forEach(function (column, at) {
      list.appendChild(el('dt', null, column.name));
      list.appendChild(el('dd', row[at] === null ? 'null' : null, row[at] === null ? '(null)' : row[at]));
    });
    td.appendChild(list);
    detail.appendChild(td);
    tr.after(detail);
  };

  // `#sort=Column:desc&filter=text&page=2&size=500&table=ID`, through the same calls as the
  // controls.
  function fromFragment(tables) {
    var params = new URLSearchParams(location.hash.slice(1));
    var only = params.get('table');
    tables.forEach(function (table) {
      var data = table.root.dataset;
      if (only && only !== data.source && only !== data.rule) return;
      var sort = params.get('sort');
      if (sort) {
        var at = sort.lastIndexOf(':');
        var name = at > 0 ? sort.slice(0, at) : sort;
        var direction = at > 0 && sort.slice(at + 1) === 'desc' ? -1 : 1;
        var column = table.columns.findIndex(function (c) { return c.name === name; });
        if (column >= 0) table.setSort(column, direction);
      }
      var size = +params.get('size');
      if (PAGE_SIZES.indexOf(size) >= 0) table.setSize(size);
      if (params.get('filter')) table.setFilter(params.get('filter'));
      if (params.get('page')) table.goTo((+params.get('page') || 1) - 1);
    });
  }

  var tables = [];
  document.querySelectorAll('.datatable').forEach(function (root) {
    try {
      tables.push(new Table(root));
    } catch (error) {
      root.dataset.error = String(error);
      root.replaceChildren(el('p', 'error', 'This table could not be drawn: ' + error));
    }
  });
  tables.forEach(function (table) { table.refresh(); });
  fromFragment(tables);

  // A timeline mark filters its rule's table to the mark's device.
  var byRule = {};
  tables.forEach(function (table) {
    if (table.root.dataset.ruleIndex !== undefined) byRule[table.root.dataset.ruleIndex] = table;
  });
  document.querySelectorAll('svg.timeline .mark').forEach(function (mark) {
    mark.addEventListener('click', function () {
      var table = byRule[mark.dataset.ruleIndex];
      if (!table) return;
      table.setFilter(mark.dataset.device || '');
      table.root.scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
  });

  document.body.dataset.tables = String(tables.length);
  document.body.dataset.initMs = String(Math.round(performance.now() - started));
  document.body.dataset.ready = 'true';
})();
